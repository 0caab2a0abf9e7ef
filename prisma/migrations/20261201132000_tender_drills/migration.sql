-- Drill (演练) policies and the tenders that run under them.
ALTER TABLE "policy_version" ADD COLUMN "drill" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "tender" ADD COLUMN "drill_policy_id" TEXT;
