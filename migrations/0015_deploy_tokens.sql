-- Deploy tokens (issue 13): a project-scoped credential that can only record deploys
-- and ask whether a release passed its budgets, so a CI job can do both with one curl
-- line and without database access. Made, listed and revoked with `vitals deploy-token`.
-- Only the SHA-256 of a token is kept (tokens are 256-bit random: there is nothing to
-- brute-force, as for ingest keys); `hint` is its first characters, to tell tokens apart.
CREATE TABLE deploy_tokens (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id    integer NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    label         text NOT NULL CHECK (char_length(label) BETWEEN 1 AND 100),
    token_sha256  text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    hint          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX deploy_tokens_by_project ON deploy_tokens (project_id);

-- The admin service's login (shared/DESIGN.md §4: writes do not go through the read-only
-- query service). It may record deploys for a token it has checked, and nothing more
-- yet; the alerts and operators issues grant it what their writes need. Its password is
-- set by `vitals migrate` from VITALS_ADMIN_DATABASE_PASSWORD, as the query role's is.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vitals_admin') THEN
        CREATE ROLE vitals_admin LOGIN NOCREATEDB NOCREATEROLE;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
GRANT USAGE ON SCHEMA public TO vitals_admin;
GRANT SELECT (id, slug) ON projects TO vitals_admin;
GRANT SELECT (id, project_id, token_sha256, revoked_at, last_used_at), UPDATE (last_used_at)
    ON deploy_tokens TO vitals_admin;
GRANT SELECT, INSERT ON deploys TO vitals_admin;

-- The query service checks a deploy token too: `POST …/releases/{release}/check` is a
-- read a CI job makes with the token it records deploys with.
GRANT SELECT (id, project_id, token_sha256, revoked_at) ON deploy_tokens TO vitals_reader;
