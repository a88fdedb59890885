-- The rollups lose the `bucket DESC` index create_hypertable gave each of them by default.
-- Every reader seeks on the primary key, which leads with the project (query service,
-- bench, retention by whole chunks), so nothing read this index; but every sample a
-- worker adds rewrites its rollup row (samples is INCLUDEd in the key for index-only
-- reads, so the update is never HOT) and each rewrite inserted one more entry here.
-- Measured (bench-ingest's workers phase, jobs of 128 beacons): ~10 % of the workers'
-- and PostgreSQL's CPU per report. The raw `vitals` table keeps its time index.
DROP INDEX IF EXISTS vitals_hourly_bucket_idx;
DROP INDEX IF EXISTS vitals_daily_bucket_idx;
DROP INDEX IF EXISTS vitals_totals_hourly_bucket_idx;
DROP INDEX IF EXISTS vitals_totals_daily_bucket_idx;
DROP INDEX IF EXISTS vitals_device_hourly_bucket_idx;
DROP INDEX IF EXISTS vitals_device_daily_bucket_idx;
DROP INDEX IF EXISTS vitals_route_hourly_bucket_idx;
DROP INDEX IF EXISTS vitals_route_daily_bucket_idx;
DROP INDEX IF EXISTS vitals_client_hourly_bucket_idx;
DROP INDEX IF EXISTS vitals_client_daily_bucket_idx;
