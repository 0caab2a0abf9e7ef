-- Catalog entries can be retired (撤销/停用) through a retirement request reviewed like a draft (issue 15).

-- CreateEnum
CREATE TYPE "CatalogDraftKind" AS ENUM ('ENTRY', 'RETIREMENT');

-- AlterTable
ALTER TABLE "catalog_draft" ADD COLUMN "kind" "CatalogDraftKind" NOT NULL DEFAULT 'ENTRY';

-- AlterTable
ALTER TABLE "data_resource" ADD COLUMN "retired_at" TIMESTAMPTZ(3);
