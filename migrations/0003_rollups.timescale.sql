-- vitals:no-transaction  (continuous aggregates cannot be created inside a transaction)
-- Rollups as real continuous aggregates: hourly from raw, daily from hourly
-- (hierarchical), both real-time so the newest bucket is never missing.

CREATE MATERIALIZED VIEW IF NOT EXISTS vitals_hourly
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 hour', time) AS bucket,
       project_id, metric, page_id, device, rating, bin,
       count(*) AS samples
FROM vitals
GROUP BY 1, project_id, metric, page_id, device, rating, bin
WITH NO DATA;

CREATE MATERIALIZED VIEW IF NOT EXISTS vitals_daily
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 day', bucket) AS bucket,
       project_id, metric, page_id, device, rating, bin,
       sum(samples)::bigint AS samples
FROM vitals_hourly
GROUP BY 1, project_id, metric, page_id, device, rating, bin
WITH NO DATA;

SELECT add_continuous_aggregate_policy('vitals_hourly',
    start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '5 minutes', if_not_exists => true);

SELECT add_continuous_aggregate_policy('vitals_daily',
    start_offset => INTERVAL '7 days', end_offset => INTERVAL '1 day',
    schedule_interval => INTERVAL '1 hour', if_not_exists => true);
