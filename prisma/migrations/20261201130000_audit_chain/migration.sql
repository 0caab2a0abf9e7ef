-- Auditors read and verify the audit trail (Art. 29-31; 等保2.0 level 3 security audit).
ALTER TYPE "Role" ADD VALUE 'AUDITOR';

-- A tamper-evident audit trail: every row carries its place in the chain (seq), the hash of the
-- row before it (prev_hash) and the hash of its own content chained to that (hash). All three,
-- and the time of the row, are set by the database (audit_log_chain below), never by a writer.
ALTER TABLE "audit_log" ADD COLUMN "seq" BIGINT,
ADD COLUMN "prev_hash" TEXT,
ADD COLUMN "hash" TEXT;

-- The end of the chain: one row, locked by every insert, so concurrent writers (API and worker)
-- append one after another and can never fork the chain; verification compares it with the last
-- row, so rows removed from the end are noticed too.
CREATE TABLE "audit_chain_head" (
    "id" INTEGER NOT NULL,
    "seq" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "audit_chain_head_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "audit_chain_head_one_row" CHECK ("id" = 1)
);

-- The hashed content of a row, each field length-prefixed (UTF-8 octets) so no two different
-- rows give the same text: sha256(prev_hash || f(seq) || f(at) || f(audit_key) || f(actor) ||
-- f(action) || f(entity_type) || f(entity_id) || f(details)), f(v) = octet_length(v) || ':' || v,
-- at as UTC ISO-8601 with milliseconds, details as Postgres prints jsonb. lib/audit-chain.ts
-- recomputes exactly this, independently of this function, to verify the chain.
CREATE FUNCTION audit_log_row_hash(
    prev_hash TEXT, seq BIGINT, at TIMESTAMPTZ, audit_key TEXT, actor TEXT, action TEXT,
    entity_type TEXT, entity_id TEXT, details JSONB
) RETURNS TEXT LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT encode(sha256(convert_to(
    prev_hash
    || string_agg(octet_length(f)::text || ':' || f, '' ORDER BY n),
    'UTF8')), 'hex')
  FROM unnest(ARRAY[
    seq::text,
    to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    audit_key, actor, action, entity_type, entity_id, details::text
  ]) WITH ORDINALITY AS u(f, n)
$$;

-- Existing rows are chained in the order they were written.
ALTER TABLE "audit_log" DISABLE TRIGGER "audit_log_no_update_delete";
DO $$
DECLARE
  r RECORD;
  prev TEXT := repeat('0', 64);
  n BIGINT := 0;
  h TEXT;
BEGIN
  FOR r IN SELECT * FROM "audit_log" ORDER BY "id" LOOP
    n := n + 1;
    h := audit_log_row_hash(prev, n, r.at, r.audit_key, r.actor, r.action, r.entity_type, r.entity_id, r.details);
    UPDATE "audit_log" SET "seq" = n, "prev_hash" = prev, "hash" = h WHERE "id" = r.id;
    prev := h;
  END LOOP;
  INSERT INTO "audit_chain_head" ("id", "seq", "hash", "at") VALUES (1, n, prev, now());
END;
$$;
ALTER TABLE "audit_log" ENABLE TRIGGER "audit_log_no_update_delete";

ALTER TABLE "audit_log" ALTER COLUMN "seq" SET NOT NULL,
ALTER COLUMN "prev_hash" SET NOT NULL,
ALTER COLUMN "hash" SET NOT NULL;
CREATE UNIQUE INDEX "audit_log_seq_key" ON "audit_log"("seq");
CREATE INDEX "audit_log_actor_seq_idx" ON "audit_log"("actor", "seq");
CREATE INDEX "audit_log_action_seq_idx" ON "audit_log"("action", "seq");
CREATE INDEX "audit_log_at_idx" ON "audit_log"("at");

-- Every insert, whoever makes it: the time is the database's clock (no back-dating), seq, prev_hash
-- and hash follow the head, which moves only when the row is new (an INSERT … ON CONFLICT DO
-- NOTHING that skips a duplicate audit_key leaves the chain as it was). SECURITY DEFINER: the head
-- belongs to the owner; the application role can neither read-modify it nor skip this trigger.
-- Under REPEATABLE READ or SERIALIZABLE, a head moved by a concurrent writer is a serialization
-- failure (retryable), never a fork.
CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  head_seq BIGINT;
  head_hash TEXT;
BEGIN
  SELECT h.seq, h.hash INTO head_seq, head_hash FROM public.audit_chain_head h WHERE h.id = 1 FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'audit_chain_head is missing: the audit chain cannot be extended';
  END IF;
  NEW.at := date_trunc('milliseconds', clock_timestamp());
  NEW.seq := head_seq + 1;
  NEW.prev_hash := head_hash;
  NEW.hash := audit_log_row_hash(NEW.prev_hash, NEW.seq, NEW.at, NEW.audit_key, NEW.actor, NEW.action,
    NEW.entity_type, NEW.entity_id, NEW.details);
  IF NOT EXISTS (SELECT 1 FROM public.audit_log a WHERE a.audit_key = NEW.audit_key) THEN
    UPDATE public.audit_chain_head SET seq = NEW.seq, hash = NEW.hash, at = NEW.at WHERE id = 1;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER audit_log_chain BEFORE INSERT ON "audit_log"
  FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

-- The head and the log are the owner's: no other role may change the head, nor update, delete,
-- truncate or put triggers on the log, whatever default privileges gave them (role names differ
-- between installations, so every grantee but the owner is revoked). Reading stays granted.
DO $$
DECLARE
  g RECORD;
BEGIN
  FOR g IN
    SELECT DISTINCT c.relname, a.grantee
    FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
    WHERE c.oid IN ('public.audit_log'::regclass, 'public.audit_chain_head'::regclass) AND a.grantee <> c.relowner
  LOOP
    EXECUTE format(
      'REVOKE %s ON public.%I FROM %s',
      CASE WHEN g.relname = 'audit_log' THEN 'UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER'
           ELSE 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER' END,
      g.relname,
      CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END);
  END LOOP;
END;
$$;
