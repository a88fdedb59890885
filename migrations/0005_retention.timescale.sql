-- Retention and compression policies (the Timescale edition runs them in its scheduler).
-- Ages match the Settings defaults (retention_*_days); the workers' hourly retention job
-- applies the configured ages on both editions, so the smaller of the two wins. Each age
-- stays beyond its refresh window (3 and 7 days) so a refresh never recomputes from
-- dropped raw rows.
SELECT add_retention_policy('vitals', INTERVAL '35 days', if_not_exists => true);
SELECT add_retention_policy('vitals_hourly', INTERVAL '90 days', if_not_exists => true);
SELECT add_retention_policy('vitals_daily', INTERVAL '730 days', if_not_exists => true);

-- Compress raw chunks only once no beacon can still write to them: ingest refuses time
-- origins older than 48 hours, so three days leaves a day of margin for retried jobs.
ALTER TABLE vitals SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'project_id, metric',
    timescaledb.compress_orderby = 'time DESC'
);
SELECT add_compression_policy('vitals', INTERVAL '3 days', if_not_exists => true);
