-- Releases (issue 13): a page view may name the release (deploy) it ran, and a release is
-- compared with the one before it from the rollups, never from raw rows.
--
-- The release joins the route family's key rather than a family of its own: a comparison
-- needs a release's samples overall, per device and per route, which that family already
-- groups by, and while one release is live (the usual case; two during a rollout) its
-- rows are as many as before. A family of its own would have cost two more rollup writes
-- in every worker transaction, the workers' and PostgreSQL's largest cost (issue 16).
-- '' is no release (beacons without one, and every row stored before this migration).

ALTER TABLE vitals ADD COLUMN release text;

ALTER TABLE vitals_route_hourly ADD COLUMN release text NOT NULL DEFAULT '';
ALTER TABLE vitals_route_hourly DROP CONSTRAINT vitals_route_hourly_pkey;
ALTER TABLE vitals_route_hourly
    ADD PRIMARY KEY (project_id, metric, bucket, route, device, release, bin, rating)
    INCLUDE (samples);
DROP INDEX vitals_route_hourly_route;
CREATE INDEX vitals_route_hourly_route ON vitals_route_hourly
    (project_id, route, metric, bucket) INCLUDE (device, release, bin, rating, samples);

ALTER TABLE vitals_route_daily ADD COLUMN release text NOT NULL DEFAULT '';
ALTER TABLE vitals_route_daily DROP CONSTRAINT vitals_route_daily_pkey;
ALTER TABLE vitals_route_daily
    ADD PRIMARY KEY (project_id, metric, bucket, route, device, release, bin, rating)
    INCLUDE (samples);
DROP INDEX vitals_route_daily_route;
CREATE INDEX vitals_route_daily_route ON vitals_route_daily
    (project_id, route, metric, bucket) INCLUDE (device, release, bin, rating, samples);

-- Each release a project's beacons named, and when: the releases list, and the window a
-- comparison reads. The workers keep it (services/workers/releases.py); last_seen moves
-- at most once an hour, so a release's row is not locked by every transaction.
CREATE TABLE releases (
    project_id integer NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       text NOT NULL,
    first_seen timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    PRIMARY KEY (project_id, name)
);
GRANT SELECT ON releases TO vitals_reader;
