-- The page dimension and the raw measurements.

CREATE TABLE pages (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id integer NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    host       text NOT NULL,
    path       text NOT NULL,
    route      text NOT NULL,  -- the path with ids replaced by :id, or a project rule's route
    UNIQUE (project_id, host, path)
);
CREATE INDEX pages_route ON pages (project_id, route);

-- One row per web-vitals metric instance. `time` is the page view's time origin (not the
-- arrival time), so every report of one metric id lands on the same key and a retried
-- job rewrites the same rows. Enumerations are small integers; their names live in
-- services/contracts/metrics.py.
CREATE TABLE vitals (
    project_id      integer NOT NULL,
    time            timestamptz NOT NULL,
    metric_id       text NOT NULL,            -- web-vitals `id`
    metric          smallint NOT NULL,        -- 1 LCP, 2 INP, 3 CLS, 4 FCP, 5 TTFB
    value           double precision NOT NULL,  -- ms; CLS as a score
    rating          smallint NOT NULL,        -- 0 good, 1 needs-improvement, 2 poor (server-side)
    bin             smallint NOT NULL,        -- log-scale histogram bin (DDSketch, alpha 1 %)
    page_id         bigint NOT NULL,
    device          smallint NOT NULL,        -- 0 other, 1 desktop, 2 mobile, 3 tablet
    browser         text NOT NULL DEFAULT '',
    browser_major   smallint,
    os              text NOT NULL DEFAULT '',
    country         text NOT NULL DEFAULT '',  -- ISO 3166 alpha-2 or ''
    connection      text NOT NULL DEFAULT '',  -- effective type: slow-2g, 2g, 3g, 4g
    navigation_type smallint NOT NULL DEFAULT 0,
    navigation_id   text NOT NULL DEFAULT '',
    -- Attribution, flattened: the element / interaction / shift source and up to four
    -- phase durations in the metric's own order (see services/contracts/metrics.py).
    attr_target     text NOT NULL DEFAULT '',
    attr_url        text NOT NULL DEFAULT '',
    attr_kind       text NOT NULL DEFAULT '',
    attr_phase1     real,
    attr_phase2     real,
    attr_phase3     real,
    attr_phase4     real,
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, time, metric_id)
);
SELECT create_hypertable('vitals', by_range('time', INTERVAL '1 day'));
CREATE INDEX vitals_project_metric_time ON vitals (project_id, metric, time DESC);
