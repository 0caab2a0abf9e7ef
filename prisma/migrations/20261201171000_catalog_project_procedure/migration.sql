-- Art. 17: the approval of an information system project is a procedure (CATALOG_PROJECT) with an
-- inbox task for the data authority, approved only once the project's catalog entries are published.

-- AlterEnum
ALTER TYPE "Procedure" ADD VALUE 'CATALOG_PROJECT';
ALTER TYPE "InfoSystemProjectStatus" ADD VALUE 'RETURNED';

-- AlterTable
ALTER TABLE "info_system_project" ADD COLUMN "workflow_id" TEXT,
ADD COLUMN "returned_by_id" TEXT,
ADD COLUMN "returned_at" TIMESTAMPTZ(3),
ADD COLUMN "return_reasons" TEXT,
ADD COLUMN "workflow_started_at" TIMESTAMPTZ(3);

-- Projects registered before: their procedure is started by the reconciler while still REGISTERED;
-- approved ones need none (they count as started).
UPDATE "info_system_project" SET "workflow_id" = 'catalog-project/' || "project_no";
UPDATE "info_system_project" SET "workflow_started_at" = COALESCE("approved_at", CURRENT_TIMESTAMP) WHERE "status" = 'APPROVED';
ALTER TABLE "info_system_project" ALTER COLUMN "workflow_id" SET NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "info_system_project_workflow_id_key" ON "info_system_project"("workflow_id");
CREATE INDEX "info_system_project_workflow_started_at_idx" ON "info_system_project"("workflow_started_at");
