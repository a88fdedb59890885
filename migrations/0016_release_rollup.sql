-- A release's samples per route and device over all its time: the release comparison's
-- rollup (issue 13), one file for both editions (the workers keep it on both).
--
-- Why a family of its own after 0013 chose against one: a comparison side read from the
-- daily route rollup sums every day the release ran, bin by bin. On the 30-day benchmark
-- (a release every three days) that is ~166,000 rows for one side, aggregated into
-- ~70,000 groups in ~300 ms with warm buffers (spilling past work_mem), so a comparison
-- took ~590 ms at p50 against the 250 ms target. Here a side is one range of the key,
-- already summed: the rows come in the order the comparison groups them.
-- What it costs: one more statement (and one delete of emptied groups) in every worker
-- transaction, for page views that name a release only; bench-ingest measures it.
--
-- No time column, so retention cannot drop chunks: the workers' retention job deletes a
-- release's rows once its last page view is older than the daily rollups' age
-- (services/workers/retention.py).

CREATE TABLE vitals_release_routes (
    project_id integer NOT NULL,
    release    text NOT NULL,
    metric     smallint NOT NULL,
    route      text NOT NULL,
    device     smallint NOT NULL,
    rating     smallint NOT NULL,
    bin        smallint NOT NULL,
    samples    bigint NOT NULL,
    PRIMARY KEY (project_id, release, metric, route, device, bin, rating) INCLUDE (samples)
);

-- What the daily route rollup holds of each release so far (its route is the page's route
-- at write time, as the workers keep it from now on).
INSERT INTO vitals_release_routes
    (project_id, release, metric, route, device, rating, bin, samples)
SELECT project_id, release, metric, route, device, rating, bin, sum(samples)
FROM vitals_route_daily
WHERE release <> ''
GROUP BY project_id, release, metric, route, device, rating, bin
HAVING sum(samples) <> 0;

GRANT SELECT ON vitals_release_routes TO vitals_reader;
