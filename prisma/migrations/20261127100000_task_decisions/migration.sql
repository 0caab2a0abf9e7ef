-- AlterTable
ALTER TABLE "task" ADD COLUMN     "decision_answer" JSONB,
ADD COLUMN     "decision_round" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "pending_decision" JSONB,
ADD COLUMN     "pending_decision_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "task_pending_decision_at_idx" ON "task"("pending_decision_at");
