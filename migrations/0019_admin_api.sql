-- Administration without a shell (issue 15): instance owners, projects deleted in the
-- background, set-password links, and what the admin service's login may now write.
-- Every statement is cheap on a large database: new nullable or constant-default columns
-- (no rewrite), one new small table, grants.

-- An owner administers every project and may create projects and users
-- (`vitals user create --owner`). Tokens carry it as the `owner` claim.
ALTER TABLE users ADD COLUMN is_owner boolean NOT NULL DEFAULT false;
-- When the user last chose a password. NULL: invited through the admin API and the
-- set-password link not used yet (such a user's password_hash is '', which no password
-- verifies against). now() is evaluated once for the existing rows: they have passwords.
ALTER TABLE users ADD COLUMN password_set_at timestamptz DEFAULT now();

-- A deleted project is marked here at once, in the transaction that also revokes its keys
-- and deploy tokens and removes its grants; from then on it is gone for logins, the key
-- registry and the workers. A background job (services/workers/purge.py) deletes its
-- rows in batches and finally the project row itself.
ALTER TABLE projects ADD COLUMN deleted_at timestamptz;

-- One-time set-password links (no mail server: the admin who invites gets the link).
-- Only the SHA-256 of the token is kept (256 random bits: nothing to brute-force); a link
-- works once, until expires_at, and a newer link for the same user voids older ones.
CREATE TABLE password_links (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_sha256 text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    created_by   integer REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);
CREATE INDEX password_links_by_user ON password_links (user_id);

-- The admin service's login (0015) may now do what the projects, keys and users endpoints
-- need, column by column, and nothing else: it never reads a password hash, never deletes
-- a project row or any measured data (the workers' purge does, as the owner), and the
-- query service's reader gains nothing here.
GRANT SELECT (id, slug, name, allowed_origins, rate_limit_per_minute, filter_bots,
              route_rules, created_at, deleted_at),
      INSERT (slug, name, allowed_origins, rate_limit_per_minute, filter_bots, route_rules),
      UPDATE (name, allowed_origins, rate_limit_per_minute, filter_bots, route_rules,
              deleted_at)
    ON projects TO vitals_admin;
GRANT SELECT (id, project_id, key_hash, prefix, label, created_at, revoked_at),
      INSERT (project_id, key_hash, prefix, label),
      UPDATE (label, revoked_at)
    ON ingest_keys TO vitals_admin;
GRANT UPDATE (revoked_at) ON deploy_tokens TO vitals_admin;
GRANT SELECT (id, email, is_owner, token_generation, created_at, password_set_at),
      INSERT (email, password_hash, is_owner, password_set_at),
      UPDATE (password_hash, token_generation, is_owner, password_set_at),
      DELETE
    ON users TO vitals_admin;
GRANT SELECT, INSERT, UPDATE (role), DELETE ON user_projects TO vitals_admin;
GRANT SELECT (id, user_id, token_sha256, created_by, created_at, expires_at, used_at),
      INSERT (user_id, token_sha256, created_by, expires_at),
      UPDATE (used_at),
      DELETE
    ON password_links TO vitals_admin;
