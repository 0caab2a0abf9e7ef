-- The two database roles of the application, run by a superuser (or a role with CREATEROLE that
-- owns the database) in the application's database before migrating. Idempotent: run it at every
-- deployment. lib/db-roles.ts runs it for npm start and the tests, docker-compose's db-roles job
-- with psql (docker/db-roles.psql). Parameters, as settings of the session:
--   govdata.owner_role, govdata.owner_password  owns the schema; migrations and the seed run as it
--   govdata.app_role,   govdata.app_password    the API and the worker connect as it
-- An empty password leaves the role's password as it is.
--
-- The app role is no superuser, owns nothing and is no member of the owner, so it cannot ALTER,
-- TRUNCATE, DROP, disable triggers or set session_replication_role; it may SELECT, INSERT, UPDATE
-- and DELETE the application's tables, only SELECT and INSERT the audit log and only SELECT the
-- audit chain head (the audit_chain migration revokes the rest from every role but the owner).
DO $roles$
DECLARE
  owner_role TEXT := current_setting('govdata.owner_role');
  app_role TEXT := current_setting('govdata.app_role');
  owner_password TEXT := current_setting('govdata.owner_password', true);
  app_password TEXT := current_setting('govdata.app_password', true);
  r RECORD;
BEGIN
  IF owner_role = '' OR app_role = '' OR owner_role = app_role THEN
    RAISE EXCEPTION 'govdata.owner_role and govdata.app_role must be two different role names';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = owner_role) THEN
    EXECUTE format('CREATE ROLE %I LOGIN', owner_role);
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = app_role) THEN
    EXECUTE format('CREATE ROLE %I LOGIN', app_role);
  END IF;
  EXECUTE format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', owner_role);
  EXECUTE format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', app_role);
  IF coalesce(owner_password, '') <> '' THEN
    EXECUTE format('ALTER ROLE %I PASSWORD %L', owner_role, owner_password);
  END IF;
  IF coalesce(app_password, '') <> '' THEN
    EXECUTE format('ALTER ROLE %I PASSWORD %L', app_role, app_password);
  END IF;
  -- The app role inherits nothing: no membership in the owner or any other role.
  FOR r IN SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
           WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = app_role) LOOP
    EXECUTE format('REVOKE %I FROM %I', r.rolname, app_role);
  END LOOP;

  EXECUTE format('ALTER SCHEMA public OWNER TO %I', owner_role);
  REVOKE CREATE ON SCHEMA public FROM PUBLIC;
  EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', app_role);
  EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I, %I', current_database(), owner_role, app_role);

  -- An installation from before the split has its objects owned by the superuser: hand them over.
  FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
             AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = owner_role)
             -- a serial's sequence follows its table
             AND NOT (c.relkind = 'S' AND EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid
                      AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))) LOOP
    EXECUTE format('ALTER %s public.%I OWNER TO %I',
      CASE r.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                     WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, r.relname, owner_role);
  END LOOP;
  FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')
             AND t.typowner <> (SELECT oid FROM pg_roles WHERE rolname = owner_role) LOOP
    EXECUTE format('ALTER TYPE public.%I OWNER TO %I', r.typname, owner_role);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS fn FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'public' AND p.proowner <> (SELECT oid FROM pg_roles WHERE rolname = owner_role) LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO %I', r.fn, owner_role);
  END LOOP;

  -- Tables and sequences the owner creates later (each migration) are granted to the app role at
  -- once; the audit tables' own migration takes back what the app may not do there.
  EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', owner_role, app_role);
  EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO %I', owner_role, app_role);
  -- Tables that exist already, with the same exceptions as the migrations make.
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', app_role);
  EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', app_role);
  EXECUTE format('REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM %I', app_role);
  IF to_regclass('public.audit_log') IS NOT NULL THEN
    EXECUTE format('REVOKE UPDATE, DELETE ON public.audit_log FROM %I', app_role);
  END IF;
  IF to_regclass('public.audit_chain_head') IS NOT NULL THEN
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON public.audit_chain_head FROM %I', app_role);
  END IF;
  IF to_regclass('public._prisma_migrations') IS NOT NULL THEN
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON public._prisma_migrations FROM %I', app_role);
  END IF;
END;
$roles$;
