-- The query service's own login: a member of vitals_reader and of nothing else, so no
-- SQL run in its sessions can SET ROLE to a role that writes. (Until now it logged in as
-- the owner and became the reader through a startup parameter.) Superuser, replication
-- and row-level-security bypass are off by default and stay off. The password is never
-- committed here: `vitals migrate` sets it from VITALS_QUERY_DATABASE_PASSWORD (or the
-- password in VITALS_QUERY_DATABASE_URL).
-- Roles belong to the whole server, which other databases (test runs, say) may be
-- migrating at the same moment: a role that appeared meanwhile is not an error.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vitals_query') THEN
        CREATE ROLE vitals_query LOGIN INHERIT NOCREATEDB NOCREATEROLE;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
DO $$
BEGIN
    IF NOT pg_has_role('vitals_query', 'vitals_reader', 'MEMBER') THEN
        GRANT vitals_reader TO vitals_query;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
