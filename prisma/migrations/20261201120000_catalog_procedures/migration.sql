-- Catalog management as procedures (Chapter 3, Art. 15–18 with Art. 21, 24–25).

-- AlterEnum
ALTER TYPE "Procedure" ADD VALUE 'CATALOG_UPDATE';

-- CreateEnum
CREATE TYPE "CatalogDraftStatus" AS ENUM ('DRAFT', 'SUBMITTED', 'RETURNED', 'PUBLISHED', 'WITHDRAWN');
CREATE TYPE "CatalogChangeKind" AS ENUM ('LEGAL_BASIS_CHANGED', 'FUNCTION_CHANGED', 'SYSTEM_UPDATED', 'DATA_CHANGED');
CREATE TYPE "CatalogDutyStatus" AS ENUM ('OPEN', 'FULFILLED');
CREATE TYPE "InfoSystemProjectStatus" AS ENUM ('REGISTERED', 'APPROVED');

-- AlterTable
ALTER TABLE "application_resource" ADD COLUMN "resource_version" INTEGER;

-- CreateTable
CREATE TABLE "catalog_draft" (
    "id" TEXT NOT NULL,
    "draft_no" TEXT NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "department_id" TEXT NOT NULL,
    "resource_id" TEXT,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "fields" TEXT[],
    "share_class" "ShareClass" NOT NULL,
    "open_class" "OpenClass" NOT NULL,
    "share_legal_basis" TEXT,
    "open_legal_basis" TEXT,
    "update_frequency" TEXT NOT NULL,
    "source_system" TEXT NOT NULL,
    "change_note" TEXT,
    "duty_id" TEXT,
    "status" "CatalogDraftStatus" NOT NULL DEFAULT 'SUBMITTED',
    "duplicates" JSONB NOT NULL DEFAULT '[]',
    "return_reasons" TEXT,
    "round" INTEGER NOT NULL DEFAULT 1,
    "created_by_id" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "submitted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "published_at" TIMESTAMPTZ(3),
    "published_version" INTEGER,
    "workflow_started_at" TIMESTAMPTZ(3),

    CONSTRAINT "catalog_draft_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "data_resource_version" (
    "id" TEXT NOT NULL,
    "resource_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "draft_id" TEXT NOT NULL,
    "snapshot" JSONB NOT NULL,
    "changes" JSONB NOT NULL DEFAULT '{}',
    "change_note" TEXT,
    "submitted_by_id" TEXT NOT NULL,
    "published_by_id" TEXT NOT NULL,
    "published_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "data_resource_version_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "catalog_update_duty" (
    "id" TEXT NOT NULL,
    "duty_no" TEXT NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "department_id" TEXT NOT NULL,
    "kind" "CatalogChangeKind" NOT NULL,
    "description" TEXT NOT NULL,
    "occurred_on" DATE NOT NULL,
    "resource_ids" TEXT[],
    "status" "CatalogDutyStatus" NOT NULL DEFAULT 'OPEN',
    "recorded_by_id" TEXT NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "fulfilled_at" TIMESTAMPTZ(3),
    "idempotency_key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "workflow_started_at" TIMESTAMPTZ(3),

    CONSTRAINT "catalog_update_duty_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "info_system_project" (
    "id" TEXT NOT NULL,
    "project_no" TEXT NOT NULL,
    "department_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "draft_ids" TEXT[],
    "status" "InfoSystemProjectStatus" NOT NULL DEFAULT 'REGISTERED',
    "registered_by_id" TEXT NOT NULL,
    "approved_by_id" TEXT,
    "approved_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "idempotency_key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,

    CONSTRAINT "info_system_project_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "catalog_draft_draft_no_key" ON "catalog_draft"("draft_no");
CREATE UNIQUE INDEX "catalog_draft_workflow_id_key" ON "catalog_draft"("workflow_id");
CREATE INDEX "catalog_draft_code_idx" ON "catalog_draft"("code");
CREATE INDEX "catalog_draft_resource_id_idx" ON "catalog_draft"("resource_id");
CREATE INDEX "catalog_draft_workflow_started_at_idx" ON "catalog_draft"("workflow_started_at");
CREATE UNIQUE INDEX "catalog_draft_department_id_idempotency_key_key" ON "catalog_draft"("department_id", "idempotency_key");
CREATE UNIQUE INDEX "data_resource_version_draft_id_key" ON "data_resource_version"("draft_id");
CREATE UNIQUE INDEX "data_resource_version_resource_id_version_key" ON "data_resource_version"("resource_id", "version");
CREATE UNIQUE INDEX "catalog_update_duty_duty_no_key" ON "catalog_update_duty"("duty_no");
CREATE UNIQUE INDEX "catalog_update_duty_workflow_id_key" ON "catalog_update_duty"("workflow_id");
CREATE INDEX "catalog_update_duty_department_id_status_idx" ON "catalog_update_duty"("department_id", "status");
CREATE INDEX "catalog_update_duty_workflow_started_at_idx" ON "catalog_update_duty"("workflow_started_at");
CREATE UNIQUE INDEX "catalog_update_duty_recorded_by_id_idempotency_key_key" ON "catalog_update_duty"("recorded_by_id", "idempotency_key");
CREATE UNIQUE INDEX "info_system_project_project_no_key" ON "info_system_project"("project_no");
CREATE UNIQUE INDEX "info_system_project_department_id_idempotency_key_key" ON "info_system_project"("department_id", "idempotency_key");

-- An application cites the version of each entry in force when it was submitted, whichever
-- router or procedure writes it: the row takes the entry's current version on insert.
CREATE FUNCTION application_resource_cites_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.resource_version IS NULL THEN
    SELECT version INTO NEW.resource_version FROM "data_resource" WHERE id = NEW.resource_id;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER application_resource_version BEFORE INSERT ON "application_resource"
  FOR EACH ROW EXECUTE FUNCTION application_resource_cites_version();

-- Existing applications cite the version their entries have now (no history before this migration).
UPDATE "application_resource" ar SET "resource_version" = r.version FROM "data_resource" r WHERE r.id = ar.resource_id;
