-- AlterTable
ALTER TABLE "tender" ADD COLUMN     "idempotency_key" TEXT,
ADD COLUMN     "request_hash" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "tender_created_by_id_idempotency_key_key" ON "tender"("created_by_id", "idempotency_key");
