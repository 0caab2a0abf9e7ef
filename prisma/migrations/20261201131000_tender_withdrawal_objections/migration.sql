-- 招标投标法 Art. 29: a bid withdrawn before the deadline.
ALTER TYPE "BidStatus" ADD VALUE 'WITHDRAWN';

-- 实施条例 Art. 22: objections to the tender documents beside those to the result.
ALTER TABLE "tender_objection" ADD COLUMN "kind" TEXT NOT NULL DEFAULT 'RESULT';
