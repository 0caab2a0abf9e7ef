-- 招标投标法 Art. 37 / 实施条例 Art. 46: the record of how a tender's evaluation committee was formed.
ALTER TABLE "tender" ADD COLUMN "committee_draw" JSONB;
