-- vitals:no-transaction  (continuous aggregates cannot be created inside a transaction)
-- Rollups without the page, for the query service's views (the page-keyed vitals_hourly /
-- vitals_daily are nearly as many rows as raw once a site has thousands of URLs):
--   vitals_totals_*  no dimension: unfiltered summaries, series, histograms, CrUX origins
--   vitals_device_*  device: the mobile / desktop split, CrUX form factors
--   vitals_route_*   route and device: the pages view and route drill-downs
--   vitals_client_*  device, browser and country: audience filters
-- Real-time continuous aggregates like 0003's: hourly from raw rows (a hierarchical
-- aggregate may not have its source's bucket width), daily from hourly. Route comes from
-- joining pages at refresh time. Indexes lead with the columns the query service seeks on
-- and INCLUDE the rest, so reads are index-only; the totals index is in the
-- (metric, bucket, bin, rating) order a percentile walk consumes. Columns and types match
-- the Apache edition's tables exactly.

CREATE MATERIALIZED VIEW IF NOT EXISTS vitals_totals_hourly
WITH (timescaledb.continuous, timescaledb.materialized_only = false,
      timescaledb.create_group_indexes = false) AS
SELECT time_bucket(INTERVAL '1 hour', time) AS bucket,
       project_id, metric, rating, bin,
       count(*) AS samples
FROM vitals
GROUP BY 1, project_id, metric, rating, bin
WITH NO DATA;

CREATE MATERIALIZED VIEW IF NOT EXISTS vitals_totals_daily
WITH (timescaledb.continuous, timescaledb.materialized_only = false,
      timescaledb.create_group_indexes = false) AS
SELECT time_bucket(INTERVAL '1 day', bucket) AS bucket,
       project_id, metric, rating, bin,
       sum(samples)::bigint AS samples
FROM vitals_totals_hourly
GROUP BY 1, project_id, metric, rating, bin
WITH NO DATA;

CREATE INDEX IF NOT EXISTS vitals_totals_hourly_walk ON vitals_totals_hourly
    (project_id, metric, bucket, bin, rating) INCLUDE (samples);

CREATE INDEX IF NOT EXISTS vitals_totals_daily_walk ON vitals_totals_daily
    (project_id, metric, bucket, bin, rating) INCLUDE (samples);

CREATE MATERIALIZED VIEW IF NOT EXISTS vitals_device_hourly
WITH (timescaledb.continuous, timescaledb.materialized_only = false,
      timescaledb.create_group_indexes = false) AS
SELECT time_bucket(INTERVAL '1 hour', time) AS bucket,
       project_id, metric, device, rating, bin,
       count(*) AS samples
FROM vitals
GROUP BY 1, project_id, metric, device, rating, bin
WITH NO DATA;

CREATE MATERIALIZED VIEW IF NOT EXISTS vitals_device_daily
WITH (timescaledb.continuous, timescaledb.materialized_only = false,
      timescaledb.create_group_indexes = false) AS
SELECT time_bucket(INTERVAL '1 day', bucket) AS bucket,
       project_id, metric, device, rating, bin,
       sum(samples)::bigint AS samples
FROM vitals_device_hourly
GROUP BY 1, project_id, metric, device, rating, bin
WITH NO DATA;

CREATE INDEX IF NOT EXISTS vitals_device_hourly_walk ON vitals_device_hourly
    (project_id, metric, bucket, device, bin, rating) INCLUDE (samples);

CREATE INDEX IF NOT EXISTS vitals_device_daily_walk ON vitals_device_daily
    (project_id, metric, bucket, device, bin, rating) INCLUDE (samples);

CREATE MATERIALIZED VIEW IF NOT EXISTS vitals_route_hourly
WITH (timescaledb.continuous, timescaledb.materialized_only = false,
      timescaledb.create_group_indexes = false) AS
SELECT time_bucket(INTERVAL '1 hour', v.time) AS bucket,
       v.project_id, v.metric, p.route, v.device, v.rating, v.bin,
       count(*) AS samples
FROM vitals AS v
JOIN pages AS p ON p.id = v.page_id
GROUP BY 1, v.project_id, v.metric, p.route, v.device, v.rating, v.bin
WITH NO DATA;

CREATE MATERIALIZED VIEW IF NOT EXISTS vitals_route_daily
WITH (timescaledb.continuous, timescaledb.materialized_only = false,
      timescaledb.create_group_indexes = false) AS
SELECT time_bucket(INTERVAL '1 day', bucket) AS bucket,
       project_id, metric, route, device, rating, bin,
       sum(samples)::bigint AS samples
FROM vitals_route_hourly
GROUP BY 1, project_id, metric, route, device, rating, bin
WITH NO DATA;

CREATE INDEX IF NOT EXISTS vitals_route_hourly_walk ON vitals_route_hourly
    (project_id, metric, bucket, route, device, bin, rating) INCLUDE (samples);

CREATE INDEX IF NOT EXISTS vitals_route_hourly_route ON vitals_route_hourly
    (project_id, route, metric, bucket) INCLUDE (device, bin, rating, samples);

CREATE INDEX IF NOT EXISTS vitals_route_daily_walk ON vitals_route_daily
    (project_id, metric, bucket, route, device, bin, rating) INCLUDE (samples);

CREATE INDEX IF NOT EXISTS vitals_route_daily_route ON vitals_route_daily
    (project_id, route, metric, bucket) INCLUDE (device, bin, rating, samples);

CREATE MATERIALIZED VIEW IF NOT EXISTS vitals_client_hourly
WITH (timescaledb.continuous, timescaledb.materialized_only = false,
      timescaledb.create_group_indexes = false) AS
SELECT time_bucket(INTERVAL '1 hour', time) AS bucket,
       project_id, metric, device, browser, country, rating, bin,
       count(*) AS samples
FROM vitals
GROUP BY 1, project_id, metric, device, browser, country, rating, bin
WITH NO DATA;

CREATE MATERIALIZED VIEW IF NOT EXISTS vitals_client_daily
WITH (timescaledb.continuous, timescaledb.materialized_only = false,
      timescaledb.create_group_indexes = false) AS
SELECT time_bucket(INTERVAL '1 day', bucket) AS bucket,
       project_id, metric, device, browser, country, rating, bin,
       sum(samples)::bigint AS samples
FROM vitals_client_hourly
GROUP BY 1, project_id, metric, device, browser, country, rating, bin
WITH NO DATA;

CREATE INDEX IF NOT EXISTS vitals_client_hourly_country ON vitals_client_hourly
    (project_id, country, metric, bucket, browser, device, bin, rating) INCLUDE (samples);

CREATE INDEX IF NOT EXISTS vitals_client_hourly_browser ON vitals_client_hourly
    (project_id, browser, metric, bucket) INCLUDE (country, device, bin, rating, samples);

CREATE INDEX IF NOT EXISTS vitals_client_daily_country ON vitals_client_daily
    (project_id, country, metric, bucket, browser, device, bin, rating) INCLUDE (samples);

CREATE INDEX IF NOT EXISTS vitals_client_daily_browser ON vitals_client_daily
    (project_id, browser, metric, bucket) INCLUDE (country, device, bin, rating, samples);

SELECT add_continuous_aggregate_policy('vitals_totals_hourly',
    start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '5 minutes', if_not_exists => true);
SELECT add_continuous_aggregate_policy('vitals_totals_daily',
    start_offset => INTERVAL '7 days', end_offset => INTERVAL '1 day',
    schedule_interval => INTERVAL '1 hour', if_not_exists => true);

SELECT add_continuous_aggregate_policy('vitals_device_hourly',
    start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '5 minutes', if_not_exists => true);
SELECT add_continuous_aggregate_policy('vitals_device_daily',
    start_offset => INTERVAL '7 days', end_offset => INTERVAL '1 day',
    schedule_interval => INTERVAL '1 hour', if_not_exists => true);

SELECT add_continuous_aggregate_policy('vitals_route_hourly',
    start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '5 minutes', if_not_exists => true);
SELECT add_continuous_aggregate_policy('vitals_route_daily',
    start_offset => INTERVAL '7 days', end_offset => INTERVAL '1 day',
    schedule_interval => INTERVAL '1 hour', if_not_exists => true);

SELECT add_continuous_aggregate_policy('vitals_client_hourly',
    start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '5 minutes', if_not_exists => true);
SELECT add_continuous_aggregate_policy('vitals_client_daily',
    start_offset => INTERVAL '7 days', end_offset => INTERVAL '1 day',
    schedule_interval => INTERVAL '1 hour', if_not_exists => true);

-- Retention: the workers' retention job (services/workers/retention.py) drops these
-- rollups' chunks at the hourly and daily ages, as on the Apache edition.

GRANT SELECT ON vitals_totals_hourly, vitals_totals_daily, vitals_device_hourly,
    vitals_device_daily, vitals_route_hourly, vitals_route_daily, vitals_client_hourly,
    vitals_client_daily TO vitals_reader;
