-- Art. 17: the data authority integrates duplicate entries (CATALOG_INTEGRATE step of the review).

-- AlterTable
ALTER TABLE "catalog_draft" ADD COLUMN "integration" JSONB;

-- AlterTable
ALTER TABLE "data_resource" ADD COLUMN "refers_to_code" TEXT;
