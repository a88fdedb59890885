-- The Apache-licensed build has no continuous aggregates: the same relations, with the
-- same names and columns, are plain hypertables kept exact by the workers in the same
-- transaction as the raw upsert.

CREATE TABLE vitals_hourly (
    bucket     timestamptz NOT NULL,
    project_id integer NOT NULL,
    metric     smallint NOT NULL,
    page_id    bigint NOT NULL,
    device     smallint NOT NULL,
    rating     smallint NOT NULL,
    bin        smallint NOT NULL,
    samples    bigint NOT NULL,
    PRIMARY KEY (project_id, bucket, metric, page_id, device, rating, bin)
);
SELECT create_hypertable('vitals_hourly', by_range('bucket', INTERVAL '7 days'));

CREATE TABLE vitals_daily (
    bucket     timestamptz NOT NULL,
    project_id integer NOT NULL,
    metric     smallint NOT NULL,
    page_id    bigint NOT NULL,
    device     smallint NOT NULL,
    rating     smallint NOT NULL,
    bin        smallint NOT NULL,
    samples    bigint NOT NULL,
    PRIMARY KEY (project_id, bucket, metric, page_id, device, rating, bin)
);
SELECT create_hypertable('vitals_daily', by_range('bucket', INTERVAL '30 days'));
