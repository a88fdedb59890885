-- Tenants, their ingest keys and dashboard users.

CREATE TABLE projects (
    id                    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug                  text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name                  text NOT NULL,
    -- Origins allowed to send beacons (scheme://host[:port]); empty means any origin.
    allowed_origins       text[] NOT NULL DEFAULT '{}',
    rate_limit_per_minute integer NOT NULL DEFAULT 60000 CHECK (rate_limit_per_minute > 0),
    filter_bots           boolean NOT NULL DEFAULT true,
    -- Per-project route rules tried before the generic id patterns: [{"pattern", "route"}].
    route_rules           jsonb NOT NULL DEFAULT '[]',
    created_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ingest_keys (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  integer NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    -- Only the SHA-256 of the key is stored; the key itself is shown once, at creation.
    key_hash    text NOT NULL UNIQUE,
    prefix      text NOT NULL,
    label       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX ingest_keys_project ON ingest_keys (project_id);

CREATE TABLE users (
    id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL UNIQUE,
    password_hash text NOT NULL,  -- argon2id
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_projects (
    user_id    integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id integer NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, project_id)
);
