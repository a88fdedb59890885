-- The Timescale edition's rollups become what the Apache edition's are: hypertables the
-- workers keep exact in the same transaction as the raw upsert (services/workers/rollups.py).
--
-- Why continuous aggregates gave way (issue 16, measured natively on TimescaleDB 2.19.3):
--   - refreshing the ten aggregates cost ~42 µs per raw row against ~16 µs for the inline
--     rollups, so at 10,000 reports/s they fall behind and real-time aggregation reads an
--     ever longer raw tail;
--   - a page view older than the refresh window (a job retried late) never reached any
--     aggregate, and a late one appeared only after the next refresh, with hour and day
--     windows contradicting each other meanwhile;
--   - a route change moved old samples depending on refresh timing.
-- Worker-maintained rollups are exact at commit, on both editions alike, so the query
-- service answers the same JSON from either. The edition keeps what only it has:
-- compression of raw chunks and its retention policy on raw rows (0005).
--
-- What the aggregates hold is kept: copied aside (real-time, so the unmaterialised tail
-- too), the aggregates dropped (daily ones first: they are built on the hourly ones), the
-- tables created exactly as the Apache edition's migrations create them, the rows put back.
-- One transaction: a failure leaves the aggregates as they were.

-- The aggregates' own jobs (refresh and retention policies) go first: delete_job waits
-- for a run in progress to end. Dropping an aggregate first would lock it while a running
-- refresh holds the job's lock and waits for the aggregate: a deadlock.
SELECT delete_job(j.job_id)
FROM timescaledb_information.jobs j
JOIN timescaledb_information.continuous_aggregates a
  ON (a.materialization_hypertable_schema, a.materialization_hypertable_name)
   = (j.hypertable_schema, j.hypertable_name);

CREATE TEMP TABLE kept_vitals_hourly ON COMMIT DROP AS SELECT * FROM vitals_hourly;
CREATE TEMP TABLE kept_vitals_daily ON COMMIT DROP AS SELECT * FROM vitals_daily;
CREATE TEMP TABLE kept_vitals_totals_hourly ON COMMIT DROP AS SELECT * FROM vitals_totals_hourly;
CREATE TEMP TABLE kept_vitals_totals_daily ON COMMIT DROP AS SELECT * FROM vitals_totals_daily;
CREATE TEMP TABLE kept_vitals_device_hourly ON COMMIT DROP AS SELECT * FROM vitals_device_hourly;
CREATE TEMP TABLE kept_vitals_device_daily ON COMMIT DROP AS SELECT * FROM vitals_device_daily;
CREATE TEMP TABLE kept_vitals_route_hourly ON COMMIT DROP AS SELECT * FROM vitals_route_hourly;
CREATE TEMP TABLE kept_vitals_route_daily ON COMMIT DROP AS SELECT * FROM vitals_route_daily;
CREATE TEMP TABLE kept_vitals_client_hourly ON COMMIT DROP AS SELECT * FROM vitals_client_hourly;
CREATE TEMP TABLE kept_vitals_client_daily ON COMMIT DROP AS SELECT * FROM vitals_client_daily;

DROP MATERIALIZED VIEW vitals_daily, vitals_totals_daily, vitals_device_daily,
    vitals_route_daily, vitals_client_daily;
DROP MATERIALIZED VIEW vitals_hourly, vitals_totals_hourly, vitals_device_hourly,
    vitals_route_hourly, vitals_client_hourly;

-- vitals:include 0003_rollups.apache.sql
-- vitals:include 0006_dimension_rollups.apache.sql

INSERT INTO vitals_hourly SELECT * FROM kept_vitals_hourly;
INSERT INTO vitals_daily SELECT * FROM kept_vitals_daily;
INSERT INTO vitals_totals_hourly SELECT * FROM kept_vitals_totals_hourly;
INSERT INTO vitals_totals_daily SELECT * FROM kept_vitals_totals_daily;
INSERT INTO vitals_device_hourly SELECT * FROM kept_vitals_device_hourly;
INSERT INTO vitals_device_daily SELECT * FROM kept_vitals_device_daily;
INSERT INTO vitals_route_hourly SELECT * FROM kept_vitals_route_hourly;
INSERT INTO vitals_route_daily SELECT * FROM kept_vitals_route_daily;
INSERT INTO vitals_client_hourly SELECT * FROM kept_vitals_client_hourly;
INSERT INTO vitals_client_daily SELECT * FROM kept_vitals_client_daily;

-- 0003 granted the aggregates to the readers; the new tables need it again (0006's
-- included text grants its eight).
GRANT SELECT ON vitals_hourly, vitals_daily TO vitals_reader;
