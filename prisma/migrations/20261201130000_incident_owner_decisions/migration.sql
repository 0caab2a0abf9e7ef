-- Incidents: a citizen or company may report (no department); the platform's own report to the
-- 网信 contact and its notice to the affected users are recorded.
ALTER TABLE "security_incident" ALTER COLUMN "reporter_dept_id" DROP NOT NULL;
ALTER TABLE "security_incident" ADD COLUMN "cyberspace_report_to" TEXT;
ALTER TABLE "security_incident" ADD COLUMN "users_notice_sent_at" TIMESTAMPTZ(3);
ALTER TABLE "security_incident" ADD COLUMN "users_notice_count" INTEGER;
