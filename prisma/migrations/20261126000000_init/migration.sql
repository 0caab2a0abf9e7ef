-- CreateEnum
CREATE TYPE "DepartmentKind" AS ENUM ('GOVERNMENT', 'AUTHORITY', 'MUNICIPAL_GOVERNMENT', 'NON_GOVERNMENT');
CREATE TYPE "AccountType" AS ENUM ('STAFF', 'PUBLIC');
CREATE TYPE "Role" AS ENUM ('DEPT_STAFF', 'PROVIDER_REVIEWER', 'AUTHORITY_REVIEWER', 'MUNICIPAL_REVIEWER', 'DEPT_HEAD', 'SUPERVISOR', 'EVALUATOR', 'ADMIN', 'PUBLIC_APPLICANT');
CREATE TYPE "PublicApplicantKind" AS ENUM ('CITIZEN', 'LEGAL_PERSON', 'OTHER_ORGANIZATION', 'UNIVERSITY', 'RESEARCH_INSTITUTE');
CREATE TYPE "ShareClass" AS ENUM ('UNCONDITIONAL', 'CONDITIONAL', 'NOT_SHARED');
CREATE TYPE "OpenClass" AS ENUM ('UNCONDITIONAL', 'CONDITIONAL', 'NOT_OPEN');
CREATE TYPE "CatalogStatus" AS ENUM ('DRAFT', 'SUBMITTED', 'PUBLISHED', 'RETURNED');
CREATE TYPE "Procedure" AS ENUM ('UNCONDITIONAL_SHARE', 'CONDITIONAL_SHARE', 'NON_GOVERNMENT_ACCESS', 'CONDITIONAL_OPEN', 'COMMERCIAL_TENDER', 'OBJECTION', 'SECURITY_INCIDENT', 'CATALOG_REVIEW');
CREATE TYPE "ApplicationStatus" AS ENUM ('SUBMITTED', 'PROVIDER_REVIEW', 'SUPPLEMENT_REQUESTED', 'AUTHORITY_REVIEW', 'GOVERNMENT_DECISION', 'AGREEMENT_PENDING', 'APPROVED', 'REFUSED', 'WITHDRAWN', 'EXPIRED');
CREATE TYPE "AccessMode" AS ENUM ('INTERFACE', 'DATA_COPY', 'DOWNLOAD');
CREATE TYPE "TaskStatus" AS ENUM ('OPEN', 'CLAIMED', 'DONE', 'CANCELLED');
CREATE TYPE "GrantStatus" AS ENUM ('PENDING_AGREEMENT', 'ACTIVE', 'SUSPENDED', 'EXPIRED', 'REVOKED');
CREATE TYPE "AgreementKind" AS ENUM ('SHARE', 'NON_GOVERNMENT', 'OPEN_USE', 'AUTHORIZATION');
CREATE TYPE "AgreementStatus" AS ENUM ('PENDING', 'CONFIRMED', 'CANCELLED');
CREATE TYPE "ObjectionKind" AS ENUM ('ERROR', 'OMISSION', 'TRADE_SECRET', 'PRIVACY');
CREATE TYPE "ObjectionScope" AS ENUM ('AUTHORITY', 'PROVIDER');
CREATE TYPE "ObjectionStatus" AS ENUM ('SUBMITTED', 'ACCEPTED', 'MARKED', 'FORWARDED', 'DECIDED', 'CORRECTING', 'CLOSED');
CREATE TYPE "TenderStatus" AS ENUM ('DRAFT', 'COMMENT', 'ANNOUNCED', 'EVALUATION', 'PUBLICITY', 'AWARDED', 'FAILED', 'CANCELLED');
CREATE TYPE "BidStatus" AS ENUM ('SUBMITTED', 'REPLACED', 'VALID', 'INVALID');
CREATE TYPE "AuthorizationStatus" AS ENUM ('ACTIVE', 'SUSPENDED', 'REVOKED', 'EXPIRED');
CREATE TYPE "CalendarYearStatus" AS ENUM ('OFFICIAL', 'PROVISIONAL');
CREATE TYPE "DayKind" AS ENUM ('WORKDAY', 'WEEKEND', 'HOLIDAY', 'MAKEUP_WORKDAY');
CREATE TYPE "NotificationStatus" AS ENUM ('PENDING', 'SENT', 'FAILED');

-- CreateTable
CREATE TABLE "department" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "DepartmentKind" NOT NULL,
    "head_email" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "department_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "app_user" (
    "id" TEXT NOT NULL,
    "login" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "account_type" "AccountType" NOT NULL,
    "roles" "Role"[],
    "department_id" TEXT,
    "public_applicant_id" TEXT,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "app_user_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "public_applicant" (
    "id" TEXT NOT NULL,
    "kind" "PublicApplicantKind" NOT NULL,
    "name" TEXT NOT NULL,
    "unified_credit_code" TEXT,
    "contact_email" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "public_applicant_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "catalog" (
    "id" TEXT NOT NULL,
    "department_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" "CatalogStatus" NOT NULL DEFAULT 'DRAFT',
    "published_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "catalog_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "data_resource" (
    "id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "catalog_id" TEXT NOT NULL,
    "provider_id" TEXT NOT NULL,
    "share_class" "ShareClass" NOT NULL,
    "open_class" "OpenClass" NOT NULL,
    "share_legal_basis" TEXT,
    "open_legal_basis" TEXT,
    "fields" TEXT[],
    "update_frequency" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "data_resource_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "application" (
    "id" TEXT NOT NULL,
    "application_no" TEXT NOT NULL,
    "procedure" "Procedure" NOT NULL,
    "status" "ApplicationStatus" NOT NULL DEFAULT 'SUBMITTED',
    "workflow_id" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "applicant_key" TEXT NOT NULL,
    "applicant_dept_id" TEXT,
    "applicant_public_id" TEXT,
    "submitted_by_id" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "legal_duty" TEXT,
    "fields_requested" TEXT[],
    "use_period_days" INTEGER,
    "access_mode" "AccessMode",
    "details" JSONB NOT NULL DEFAULT '{}',
    "outcome_reasons" TEXT,
    "submitted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decided_at" TIMESTAMPTZ(3),
    "withdrawn_at" TIMESTAMPTZ(3),
    CONSTRAINT "application_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "application_resource" (
    "application_id" TEXT NOT NULL,
    "resource_id" TEXT NOT NULL,
    CONSTRAINT "application_resource_pkey" PRIMARY KEY ("application_id","resource_id")
);

CREATE TABLE "timeline_event" (
    "id" BIGSERIAL NOT NULL,
    "application_id" TEXT NOT NULL,
    "event_key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "data" JSONB NOT NULL DEFAULT '{}',
    CONSTRAINT "timeline_event_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "task" (
    "id" TEXT NOT NULL,
    "task_key" TEXT NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "procedure" "Procedure" NOT NULL,
    "step" TEXT NOT NULL,
    "status" "TaskStatus" NOT NULL DEFAULT 'OPEN',
    "application_id" TEXT,
    "subject_ref" TEXT,
    "candidate_dept_id" TEXT NOT NULL,
    "candidate_role" "Role" NOT NULL,
    "allowed_decisions" TEXT[],
    "title" TEXT NOT NULL,
    "due_at" TIMESTAMPTZ(3),
    "warning_at" TIMESTAMPTZ(3),
    "deadline_provisional" BOOLEAN NOT NULL DEFAULT false,
    "working_days" INTEGER,
    "overdue" BOOLEAN NOT NULL DEFAULT false,
    "paused_at" TIMESTAMPTZ(3),
    "paused_working_days" INTEGER NOT NULL DEFAULT 0,
    "claimed_by_id" TEXT,
    "claimed_at" TIMESTAMPTZ(3),
    "decision" TEXT,
    "reasons" TEXT,
    "comment" TEXT,
    "completed_by_id" TEXT,
    "completed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "task_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "access_grant" (
    "id" TEXT NOT NULL,
    "application_id" TEXT NOT NULL,
    "resource_id" TEXT NOT NULL,
    "grantee_dept_id" TEXT,
    "grantee_public_id" TEXT,
    "status" "GrantStatus" NOT NULL,
    "access_mode" "AccessMode",
    "granted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "activated_at" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3),
    "ended_at" TIMESTAMPTZ(3),
    "end_reason" TEXT,
    CONSTRAINT "access_grant_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "agreement" (
    "id" TEXT NOT NULL,
    "agreement_no" TEXT NOT NULL,
    "kind" "AgreementKind" NOT NULL,
    "status" "AgreementStatus" NOT NULL DEFAULT 'PENDING',
    "application_id" TEXT,
    "authorization_id" TEXT,
    "terms" TEXT NOT NULL,
    "party_a" TEXT NOT NULL,
    "party_b" TEXT NOT NULL,
    "party_a_confirmed_at" TIMESTAMPTZ(3),
    "party_b_confirmed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "agreement_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "objection" (
    "id" TEXT NOT NULL,
    "objection_no" TEXT NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "resource_id" TEXT NOT NULL,
    "objector_user_id" TEXT NOT NULL,
    "kind" "ObjectionKind" NOT NULL,
    "record_ref" TEXT,
    "facts" TEXT NOT NULL,
    "requested_correction" TEXT NOT NULL,
    "scope" "ObjectionScope",
    "status" "ObjectionStatus" NOT NULL DEFAULT 'SUBMITTED',
    "confidential" BOOLEAN NOT NULL DEFAULT false,
    "outcome" TEXT,
    "outcome_reasons" TEXT,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    "forwarded_at" TIMESTAMPTZ(3),
    "closed_at" TIMESTAMPTZ(3),
    CONSTRAINT "objection_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "attachment" (
    "id" TEXT NOT NULL,
    "objection_id" TEXT NOT NULL,
    "file_name" TEXT NOT NULL,
    "media_type" TEXT NOT NULL,
    "size_bytes" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "content" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "attachment_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "dispute_mark" (
    "id" TEXT NOT NULL,
    "objection_id" TEXT NOT NULL,
    "resource_id" TEXT NOT NULL,
    "note" TEXT NOT NULL,
    "marked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cleared_at" TIMESTAMPTZ(3),
    CONSTRAINT "dispute_mark_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "tender" (
    "id" TEXT NOT NULL,
    "tender_no" TEXT NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "round" INTEGER NOT NULL DEFAULT 1,
    "previous_tender_id" TEXT,
    "title" TEXT NOT NULL,
    "resource_ids" TEXT[],
    "scope" TEXT NOT NULL,
    "term_months" INTEGER NOT NULL,
    "fee_cap" DECIMAL(14,2) NOT NULL,
    "eligibility" JSONB NOT NULL,
    "criteria" JSONB NOT NULL,
    "status" "TenderStatus" NOT NULL DEFAULT 'DRAFT',
    "announced_at" TIMESTAMPTZ(3),
    "bid_deadline" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "tender_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "bid" (
    "id" TEXT NOT NULL,
    "tender_id" TEXT NOT NULL,
    "bidder_id" TEXT NOT NULL,
    "status" "BidStatus" NOT NULL DEFAULT 'SUBMITTED',
    "sealed_body" JSONB NOT NULL,
    "price" DECIMAL(14,2) NOT NULL,
    "submitted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "score" DECIMAL(8,3),
    CONSTRAINT "bid_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "authorization" (
    "id" TEXT NOT NULL,
    "tender_id" TEXT,
    "application_id" TEXT,
    "operator_id" TEXT NOT NULL,
    "resource_ids" TEXT[],
    "scope" TEXT NOT NULL,
    "status" "AuthorizationStatus" NOT NULL DEFAULT 'ACTIVE',
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3) NOT NULL,
    "fee_cap" DECIMAL(14,2),
    "ended_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "authorization_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "calendar_year" (
    "year" INTEGER NOT NULL,
    "status" "CalendarYearStatus" NOT NULL,
    "source" TEXT NOT NULL,
    "loaded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "loaded_by" TEXT NOT NULL,
    CONSTRAINT "calendar_year_pkey" PRIMARY KEY ("year")
);

CREATE TABLE "calendar_day" (
    "date" DATE NOT NULL,
    "year" INTEGER NOT NULL,
    "kind" "DayKind" NOT NULL,
    "name" TEXT,
    CONSTRAINT "calendar_day_pkey" PRIMARY KEY ("date")
);

CREATE TABLE "policy_version" (
    "id" TEXT NOT NULL,
    "effective_from" TIMESTAMPTZ(3) NOT NULL,
    "description" TEXT NOT NULL,
    "values" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "policy_version_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "notification" (
    "id" TEXT NOT NULL,
    "dedupe_key" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "template" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "status" "NotificationStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "notification_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "audit_log" (
    "id" BIGSERIAL NOT NULL,
    "audit_key" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "entity_type" TEXT NOT NULL,
    "entity_id" TEXT NOT NULL,
    "details" JSONB NOT NULL DEFAULT '{}',
    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "department_name_key" ON "department"("name");
CREATE UNIQUE INDEX "app_user_login_key" ON "app_user"("login");
CREATE UNIQUE INDEX "app_user_public_applicant_id_key" ON "app_user"("public_applicant_id");
CREATE INDEX "app_user_department_id_idx" ON "app_user"("department_id");
CREATE UNIQUE INDEX "public_applicant_unified_credit_code_key" ON "public_applicant"("unified_credit_code");
CREATE UNIQUE INDEX "catalog_department_id_name_key" ON "catalog"("department_id", "name");
CREATE UNIQUE INDEX "data_resource_code_key" ON "data_resource"("code");
CREATE INDEX "data_resource_provider_id_idx" ON "data_resource"("provider_id");
CREATE INDEX "data_resource_share_class_idx" ON "data_resource"("share_class");
CREATE INDEX "data_resource_open_class_idx" ON "data_resource"("open_class");
CREATE UNIQUE INDEX "application_application_no_key" ON "application"("application_no");
CREATE UNIQUE INDEX "application_workflow_id_key" ON "application"("workflow_id");
CREATE INDEX "application_applicant_dept_id_submitted_at_idx" ON "application"("applicant_dept_id", "submitted_at");
CREATE INDEX "application_status_idx" ON "application"("status");
CREATE UNIQUE INDEX "application_applicant_key_idempotency_key_key" ON "application"("applicant_key", "idempotency_key");
CREATE INDEX "application_resource_resource_id_idx" ON "application_resource"("resource_id");
CREATE UNIQUE INDEX "timeline_event_application_id_event_key_key" ON "timeline_event"("application_id", "event_key");
CREATE UNIQUE INDEX "task_task_key_key" ON "task"("task_key");
CREATE INDEX "task_candidate_dept_id_candidate_role_status_due_at_idx" ON "task"("candidate_dept_id", "candidate_role", "status", "due_at");
CREATE INDEX "task_application_id_idx" ON "task"("application_id");
CREATE INDEX "task_workflow_id_idx" ON "task"("workflow_id");
CREATE INDEX "access_grant_resource_id_status_idx" ON "access_grant"("resource_id", "status");
CREATE UNIQUE INDEX "access_grant_application_id_resource_id_key" ON "access_grant"("application_id", "resource_id");
CREATE UNIQUE INDEX "agreement_agreement_no_key" ON "agreement"("agreement_no");
CREATE INDEX "agreement_application_id_idx" ON "agreement"("application_id");
CREATE UNIQUE INDEX "objection_objection_no_key" ON "objection"("objection_no");
CREATE UNIQUE INDEX "objection_workflow_id_key" ON "objection"("workflow_id");
CREATE INDEX "objection_resource_id_idx" ON "objection"("resource_id");
CREATE UNIQUE INDEX "dispute_mark_objection_id_key" ON "dispute_mark"("objection_id");
CREATE INDEX "dispute_mark_resource_id_cleared_at_idx" ON "dispute_mark"("resource_id", "cleared_at");
CREATE UNIQUE INDEX "tender_tender_no_key" ON "tender"("tender_no");
CREATE UNIQUE INDEX "tender_workflow_id_key" ON "tender"("workflow_id");
CREATE UNIQUE INDEX "bid_tender_id_bidder_id_key" ON "bid"("tender_id", "bidder_id");
CREATE INDEX "calendar_day_year_idx" ON "calendar_day"("year");
CREATE UNIQUE INDEX "policy_version_effective_from_key" ON "policy_version"("effective_from");
CREATE UNIQUE INDEX "notification_dedupe_key_key" ON "notification"("dedupe_key");
CREATE INDEX "notification_status_next_attempt_at_idx" ON "notification"("status", "next_attempt_at");
CREATE UNIQUE INDEX "audit_log_audit_key_key" ON "audit_log"("audit_key");
CREATE INDEX "audit_log_entity_type_entity_id_idx" ON "audit_log"("entity_type", "entity_id");

-- AddForeignKey
ALTER TABLE "app_user" ADD CONSTRAINT "app_user_department_id_fkey" FOREIGN KEY ("department_id") REFERENCES "department"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "app_user" ADD CONSTRAINT "app_user_public_applicant_id_fkey" FOREIGN KEY ("public_applicant_id") REFERENCES "public_applicant"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "catalog" ADD CONSTRAINT "catalog_department_id_fkey" FOREIGN KEY ("department_id") REFERENCES "department"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "data_resource" ADD CONSTRAINT "data_resource_catalog_id_fkey" FOREIGN KEY ("catalog_id") REFERENCES "catalog"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "data_resource" ADD CONSTRAINT "data_resource_provider_id_fkey" FOREIGN KEY ("provider_id") REFERENCES "department"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "application" ADD CONSTRAINT "application_applicant_dept_id_fkey" FOREIGN KEY ("applicant_dept_id") REFERENCES "department"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "application" ADD CONSTRAINT "application_applicant_public_id_fkey" FOREIGN KEY ("applicant_public_id") REFERENCES "public_applicant"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "application_resource" ADD CONSTRAINT "application_resource_application_id_fkey" FOREIGN KEY ("application_id") REFERENCES "application"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "application_resource" ADD CONSTRAINT "application_resource_resource_id_fkey" FOREIGN KEY ("resource_id") REFERENCES "data_resource"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "timeline_event" ADD CONSTRAINT "timeline_event_application_id_fkey" FOREIGN KEY ("application_id") REFERENCES "application"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "task" ADD CONSTRAINT "task_application_id_fkey" FOREIGN KEY ("application_id") REFERENCES "application"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "task" ADD CONSTRAINT "task_candidate_dept_id_fkey" FOREIGN KEY ("candidate_dept_id") REFERENCES "department"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "access_grant" ADD CONSTRAINT "access_grant_application_id_fkey" FOREIGN KEY ("application_id") REFERENCES "application"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "access_grant" ADD CONSTRAINT "access_grant_resource_id_fkey" FOREIGN KEY ("resource_id") REFERENCES "data_resource"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "access_grant" ADD CONSTRAINT "access_grant_grantee_dept_id_fkey" FOREIGN KEY ("grantee_dept_id") REFERENCES "department"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "access_grant" ADD CONSTRAINT "access_grant_grantee_public_id_fkey" FOREIGN KEY ("grantee_public_id") REFERENCES "public_applicant"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "agreement" ADD CONSTRAINT "agreement_application_id_fkey" FOREIGN KEY ("application_id") REFERENCES "application"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "objection" ADD CONSTRAINT "objection_resource_id_fkey" FOREIGN KEY ("resource_id") REFERENCES "data_resource"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "attachment" ADD CONSTRAINT "attachment_objection_id_fkey" FOREIGN KEY ("objection_id") REFERENCES "objection"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "dispute_mark" ADD CONSTRAINT "dispute_mark_objection_id_fkey" FOREIGN KEY ("objection_id") REFERENCES "objection"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "dispute_mark" ADD CONSTRAINT "dispute_mark_resource_id_fkey" FOREIGN KEY ("resource_id") REFERENCES "data_resource"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "bid" ADD CONSTRAINT "bid_tender_id_fkey" FOREIGN KEY ("tender_id") REFERENCES "tender"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "calendar_day" ADD CONSTRAINT "calendar_day_year_fkey" FOREIGN KEY ("year") REFERENCES "calendar_year"("year") ON DELETE CASCADE ON UPDATE CASCADE;

-- The audit log is append-only: no row may be changed or removed, not even by the application.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON "audit_log"
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
