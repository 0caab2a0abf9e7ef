-- CreateEnum
CREATE TYPE "AuthorizationReportKind" AS ENUM ('PERIODIC', 'YEARLY');

-- CreateEnum
CREATE TYPE "AuthorizationReportStatus" AS ENUM ('SCHEDULED', 'DUE', 'OVERDUE', 'SUBMITTED', 'ACCEPTED', 'FLAGGED', 'WAIVED');

-- AlterTable
ALTER TABLE "tender" ADD COLUMN     "announcement_version" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "authorization_model" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "awarded_at" TIMESTAMPTZ(3),
ADD COLUMN     "closed_at" TIMESTAMPTZ(3),
ADD COLUMN     "comment_ends_at" TIMESTAMPTZ(3),
ADD COLUMN     "created_by_id" TEXT,
ADD COLUMN     "opened_at" TIMESTAMPTZ(3),
ADD COLUMN     "outcome_reasons" TEXT,
ADD COLUMN     "proposed_bid_id" TEXT,
ADD COLUMN     "publicity_ends_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "bid" ADD COLUMN     "invalid_reason" TEXT,
ADD COLUMN     "rank" INTEGER,
ADD COLUMN     "submission_id" TEXT,
ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 1;

-- AlterTable
ALTER TABLE "authorization" ADD COLUMN     "authorization_no" TEXT,
ADD COLUMN     "suspended_at" TIMESTAMPTZ(3),
ADD COLUMN     "workflow_id" TEXT;

-- CreateTable
CREATE TABLE "tender_evaluator" (
    "tender_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "declared_affiliations" TEXT[],
    "recused" BOOLEAN NOT NULL DEFAULT false,
    "recusal_reason" TEXT,
    "appointed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tender_evaluator_pkey" PRIMARY KEY ("tender_id","user_id")
);

-- CreateTable
CREATE TABLE "bid_submission" (
    "id" TEXT NOT NULL,
    "tender_id" TEXT NOT NULL,
    "bidder_id" TEXT NOT NULL,
    "submitted_by_id" TEXT NOT NULL,
    "body" JSONB NOT NULL,
    "price" DECIMAL(14,2) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "accepted_at" TIMESTAMPTZ(3),

    CONSTRAINT "bid_submission_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "bid_score" (
    "bid_id" TEXT NOT NULL,
    "evaluator_user_id" TEXT NOT NULL,
    "criterion" TEXT NOT NULL,
    "score" DECIMAL(6,2) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "bid_score_pkey" PRIMARY KEY ("bid_id","evaluator_user_id","criterion")
);

-- CreateTable
CREATE TABLE "tender_objection" (
    "id" TEXT NOT NULL,
    "tender_id" TEXT NOT NULL,
    "bidder_id" TEXT NOT NULL,
    "submitted_by_id" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "decision" TEXT,
    "answer" TEXT,
    "answered_by_id" TEXT,
    "submitted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "answered_at" TIMESTAMPTZ(3),

    CONSTRAINT "tender_objection_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tender_comment" (
    "id" TEXT NOT NULL,
    "tender_id" TEXT NOT NULL,
    "author_user_id" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tender_comment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "authorization_report" (
    "id" TEXT NOT NULL,
    "authorization_id" TEXT NOT NULL,
    "kind" "AuthorizationReportKind" NOT NULL,
    "period_no" INTEGER NOT NULL,
    "period_start" TIMESTAMPTZ(3) NOT NULL,
    "period_end" TIMESTAMPTZ(3) NOT NULL,
    "due_at" TIMESTAMPTZ(3) NOT NULL,
    "status" "AuthorizationReportStatus" NOT NULL DEFAULT 'SCHEDULED',
    "workflow_id" TEXT,
    "use_report_id" TEXT,
    "submitted_at" TIMESTAMPTZ(3),
    "late" BOOLEAN NOT NULL DEFAULT false,
    "overdue_notices" INTEGER NOT NULL DEFAULT 0,
    "review_decision" TEXT,
    "review_reasons" TEXT,
    "reviewed_by_id" TEXT,
    "reviewed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "authorization_report_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "tender_status_idx" ON "tender"("status");

-- CreateIndex
CREATE INDEX "tender_previous_tender_id_idx" ON "tender"("previous_tender_id");

-- CreateIndex
CREATE UNIQUE INDEX "authorization_authorization_no_key" ON "authorization"("authorization_no");

-- CreateIndex
CREATE UNIQUE INDEX "authorization_workflow_id_key" ON "authorization"("workflow_id");

-- CreateIndex
CREATE INDEX "tender_evaluator_user_id_idx" ON "tender_evaluator"("user_id");

-- CreateIndex
CREATE INDEX "bid_submission_tender_id_bidder_id_idx" ON "bid_submission"("tender_id", "bidder_id");

-- CreateIndex
CREATE INDEX "tender_objection_tender_id_idx" ON "tender_objection"("tender_id");

-- CreateIndex
CREATE INDEX "tender_comment_tender_id_idx" ON "tender_comment"("tender_id");

-- CreateIndex
CREATE UNIQUE INDEX "authorization_report_workflow_id_key" ON "authorization_report"("workflow_id");

-- CreateIndex
CREATE UNIQUE INDEX "authorization_report_use_report_id_key" ON "authorization_report"("use_report_id");

-- CreateIndex
CREATE INDEX "authorization_report_status_due_at_idx" ON "authorization_report"("status", "due_at");

-- CreateIndex
CREATE UNIQUE INDEX "authorization_report_authorization_id_kind_period_no_key" ON "authorization_report"("authorization_id", "kind", "period_no");

-- AddForeignKey
ALTER TABLE "tender_evaluator" ADD CONSTRAINT "tender_evaluator_tender_id_fkey" FOREIGN KEY ("tender_id") REFERENCES "tender"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "bid_submission" ADD CONSTRAINT "bid_submission_tender_id_fkey" FOREIGN KEY ("tender_id") REFERENCES "tender"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "bid_score" ADD CONSTRAINT "bid_score_bid_id_fkey" FOREIGN KEY ("bid_id") REFERENCES "bid"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tender_objection" ADD CONSTRAINT "tender_objection_tender_id_fkey" FOREIGN KEY ("tender_id") REFERENCES "tender"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tender_comment" ADD CONSTRAINT "tender_comment_tender_id_fkey" FOREIGN KEY ("tender_id") REFERENCES "tender"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "authorization_report" ADD CONSTRAINT "authorization_report_authorization_id_fkey" FOREIGN KEY ("authorization_id") REFERENCES "authorization"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
