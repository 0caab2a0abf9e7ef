-- CreateEnum
CREATE TYPE "IncidentKind" AS ENUM ('LEAK', 'DAMAGE', 'LOSS', 'RISK');

-- CreateEnum
CREATE TYPE "IncidentStatus" AS ENUM ('REPORTED', 'REMEDIATED', 'CLOSED');

-- AlterTable
ALTER TABLE "task" ADD COLUMN     "deadline_from" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "objection" ADD COLUMN     "corrected_at" TIMESTAMPTZ(3),
ADD COLUMN     "corrected_version" INTEGER,
ADD COLUMN     "idempotency_key" TEXT;

-- CreateTable
CREATE TABLE "security_incident" (
    "id" TEXT NOT NULL,
    "incident_no" TEXT NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "kind" "IncidentKind" NOT NULL,
    "status" "IncidentStatus" NOT NULL DEFAULT 'REPORTED',
    "description" TEXT NOT NULL,
    "affected_users" TEXT,
    "resource_ids" TEXT[],
    "reporter_user_id" TEXT NOT NULL,
    "reporter_dept_id" TEXT NOT NULL,
    "responsible_dept_id" TEXT NOT NULL,
    "suspend_grants" BOOLEAN NOT NULL DEFAULT false,
    "idempotency_key" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3),
    "reported_at" TIMESTAMPTZ(3) NOT NULL,
    "authority_reported_at" TIMESTAMPTZ(3),
    "cyberspace_reported_at" TIMESTAMPTZ(3),
    "cyberspace_report_ref" TEXT,
    "remediated_at" TIMESTAMPTZ(3),
    "remediation" TEXT,
    "users_notified_at" TIMESTAMPTZ(3),
    "users_notice" TEXT,
    "closed_at" TIMESTAMPTZ(3),
    "conclusion" TEXT,

    CONSTRAINT "security_incident_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "incident_grant_suspension" (
    "incident_id" TEXT NOT NULL,
    "grant_id" TEXT NOT NULL,
    "suspended_at" TIMESTAMPTZ(3) NOT NULL,
    "released_at" TIMESTAMPTZ(3),

    CONSTRAINT "incident_grant_suspension_pkey" PRIMARY KEY ("incident_id","grant_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "objection_objector_user_id_idempotency_key_key" ON "objection"("objector_user_id", "idempotency_key");

-- CreateIndex
CREATE UNIQUE INDEX "security_incident_incident_no_key" ON "security_incident"("incident_no");

-- CreateIndex
CREATE UNIQUE INDEX "security_incident_workflow_id_key" ON "security_incident"("workflow_id");

-- CreateIndex
CREATE INDEX "security_incident_status_idx" ON "security_incident"("status");

-- CreateIndex
CREATE UNIQUE INDEX "security_incident_reporter_user_id_idempotency_key_key" ON "security_incident"("reporter_user_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "incident_grant_suspension_grant_id_released_at_idx" ON "incident_grant_suspension"("grant_id", "released_at");

-- AddForeignKey
ALTER TABLE "incident_grant_suspension" ADD CONSTRAINT "incident_grant_suspension_incident_id_fkey" FOREIGN KEY ("incident_id") REFERENCES "security_incident"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "incident_grant_suspension" ADD CONSTRAINT "incident_grant_suspension_grant_id_fkey" FOREIGN KEY ("grant_id") REFERENCES "access_grant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
