-- The raw table loses the `time DESC` index create_hypertable gave it, as the rollups lost
-- theirs in 0012. Every reader of raw rows names its project (attribution, alerts, the
-- workers' upsert of re-reports, purges): they seek on the primary key (project_id, time,
-- metric_id) or on (project_id, metric, time); retention drops whole chunks and
-- compression reads them whole. Every report inserted one more entry here.
DROP INDEX IF EXISTS vitals_time_idx;
