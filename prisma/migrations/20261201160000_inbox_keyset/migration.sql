-- The inbox page is a keyset range per (department, role, status) ordered by the deadline or the
-- creation time, with the id as tie-break (api/kit/inbox-query.ts): these indexes serve both
-- orders without a sort and without reading rows past the page.
DROP INDEX IF EXISTS "task_candidate_dept_id_candidate_role_status_due_at_idx";
CREATE INDEX "task_candidate_dept_id_candidate_role_status_due_at_id_idx" ON "task"("candidate_dept_id", "candidate_role", "status", "due_at", "id");
CREATE INDEX "task_candidate_dept_id_candidate_role_status_created_at_id_idx" ON "task"("candidate_dept_id", "candidate_role", "status", "created_at", "id");
