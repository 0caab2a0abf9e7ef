-- AlterTable
ALTER TABLE "notification" ADD COLUMN     "failed_at" TIMESTAMPTZ(3),
ADD COLUMN     "lease_until" TIMESTAMPTZ(3);
