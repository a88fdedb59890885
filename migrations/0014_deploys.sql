-- Deploy markers (issue 13): when a release went out, shown on the trend charts and in the
-- releases list. `vitals deploy record` writes them (a CI job's deploy token will too);
-- the query service reads them. The limits are the wire's (a release is at most 64
-- characters) and a URL's; a description is a line of a changelog, not a document.
CREATE TABLE deploys (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  integer NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    release     text NOT NULL CHECK (char_length(release) BETWEEN 1 AND 64),
    at          timestamptz NOT NULL DEFAULT now(),
    url         text CHECK (char_length(url) <= 2048),
    description text CHECK (char_length(description) <= 1000),
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deploys_by_time ON deploys (project_id, at DESC);
GRANT SELECT ON deploys TO vitals_reader;
