-- AlterTable
ALTER TABLE "application" ADD COLUMN     "workflow_started_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "objection" ADD COLUMN     "workflow_started_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "security_incident" ADD COLUMN     "workflow_started_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "tender" ADD COLUMN     "workflow_started_at" TIMESTAMPTZ(3);

-- Cases stored before this column: one past its initial status was moved on by its workflow, so
-- that workflow started. Cases still in their initial status stay null; the start reconciler
-- starts them (a no-op for a workflow that already runs) and sets the column. Later tender
-- rounds are started by their predecessor's workflow and never by the reconciler.
UPDATE "application" SET "workflow_started_at" = "submitted_at" WHERE "status" <> 'SUBMITTED';
UPDATE "objection" SET "workflow_started_at" = "received_at" WHERE "status" <> 'SUBMITTED';
UPDATE "security_incident" SET "workflow_started_at" = "reported_at" WHERE "status" <> 'REPORTED';
UPDATE "tender" SET "workflow_started_at" = "created_at" WHERE "status" <> 'DRAFT';

-- CreateIndex
CREATE INDEX "application_workflow_started_at_idx" ON "application"("workflow_started_at");

-- CreateIndex
CREATE INDEX "objection_workflow_started_at_idx" ON "objection"("workflow_started_at");

-- CreateIndex
CREATE INDEX "security_incident_workflow_started_at_idx" ON "security_incident"("workflow_started_at");

-- CreateIndex
CREATE INDEX "tender_workflow_started_at_idx" ON "tender"("workflow_started_at");
