-- Rollups without the page, for the query service's views (the page-keyed vitals_hourly /
-- vitals_daily are nearly as many rows as raw once a site has thousands of URLs):
--   vitals_totals_*  no dimension: unfiltered summaries, series, histograms, CrUX origins
--   vitals_device_*  device: the mobile / desktop split, CrUX form factors
--   vitals_route_*   route and device: the pages view and route drill-downs
--   vitals_client_*  device, browser and country: audience filters
-- As with 0003, the Apache-licensed build has no continuous aggregates: these are plain
-- hypertables the workers keep exact in the same transaction as the raw upsert (route is
-- the page's route at that moment), and whose chunks their retention job drops at the
-- hourly and daily ages. Each primary key leads with the columns the query
-- service seeks on and INCLUDEs samples, so reads are index-only: the totals key is in
-- the (metric, bucket, bin, rating) order a percentile walk consumes.

CREATE TABLE vitals_totals_hourly (
    bucket     timestamptz NOT NULL,
    project_id integer NOT NULL,
    metric     smallint NOT NULL,
    rating     smallint NOT NULL,
    bin        smallint NOT NULL,
    samples    bigint NOT NULL,
    PRIMARY KEY (project_id, metric, bucket, bin, rating) INCLUDE (samples)
);
SELECT create_hypertable('vitals_totals_hourly', by_range('bucket', INTERVAL '7 days'));

CREATE TABLE vitals_totals_daily (
    bucket     timestamptz NOT NULL,
    project_id integer NOT NULL,
    metric     smallint NOT NULL,
    rating     smallint NOT NULL,
    bin        smallint NOT NULL,
    samples    bigint NOT NULL,
    PRIMARY KEY (project_id, metric, bucket, bin, rating) INCLUDE (samples)
);
SELECT create_hypertable('vitals_totals_daily', by_range('bucket', INTERVAL '30 days'));

CREATE TABLE vitals_device_hourly (
    bucket     timestamptz NOT NULL,
    project_id integer NOT NULL,
    metric     smallint NOT NULL,
    device     smallint NOT NULL,
    rating     smallint NOT NULL,
    bin        smallint NOT NULL,
    samples    bigint NOT NULL,
    PRIMARY KEY (project_id, metric, bucket, device, bin, rating) INCLUDE (samples)
);
SELECT create_hypertable('vitals_device_hourly', by_range('bucket', INTERVAL '7 days'));

CREATE TABLE vitals_device_daily (
    bucket     timestamptz NOT NULL,
    project_id integer NOT NULL,
    metric     smallint NOT NULL,
    device     smallint NOT NULL,
    rating     smallint NOT NULL,
    bin        smallint NOT NULL,
    samples    bigint NOT NULL,
    PRIMARY KEY (project_id, metric, bucket, device, bin, rating) INCLUDE (samples)
);
SELECT create_hypertable('vitals_device_daily', by_range('bucket', INTERVAL '30 days'));

CREATE TABLE vitals_route_hourly (
    bucket     timestamptz NOT NULL,
    project_id integer NOT NULL,
    metric     smallint NOT NULL,
    route      text NOT NULL,
    device     smallint NOT NULL,
    rating     smallint NOT NULL,
    bin        smallint NOT NULL,
    samples    bigint NOT NULL,
    PRIMARY KEY (project_id, metric, bucket, route, device, bin, rating) INCLUDE (samples)
);
SELECT create_hypertable('vitals_route_hourly', by_range('bucket', INTERVAL '7 days'));
CREATE INDEX vitals_route_hourly_route ON vitals_route_hourly
    (project_id, route, metric, bucket) INCLUDE (device, bin, rating, samples);

CREATE TABLE vitals_route_daily (
    bucket     timestamptz NOT NULL,
    project_id integer NOT NULL,
    metric     smallint NOT NULL,
    route      text NOT NULL,
    device     smallint NOT NULL,
    rating     smallint NOT NULL,
    bin        smallint NOT NULL,
    samples    bigint NOT NULL,
    PRIMARY KEY (project_id, metric, bucket, route, device, bin, rating) INCLUDE (samples)
);
SELECT create_hypertable('vitals_route_daily', by_range('bucket', INTERVAL '30 days'));
CREATE INDEX vitals_route_daily_route ON vitals_route_daily
    (project_id, route, metric, bucket) INCLUDE (device, bin, rating, samples);

CREATE TABLE vitals_client_hourly (
    bucket     timestamptz NOT NULL,
    project_id integer NOT NULL,
    metric     smallint NOT NULL,
    device     smallint NOT NULL,
    browser    text NOT NULL,
    country    text NOT NULL,
    rating     smallint NOT NULL,
    bin        smallint NOT NULL,
    samples    bigint NOT NULL,
    PRIMARY KEY (project_id, country, metric, bucket, browser, device, bin, rating)
        INCLUDE (samples)
);
SELECT create_hypertable('vitals_client_hourly', by_range('bucket', INTERVAL '7 days'));
CREATE INDEX vitals_client_hourly_browser ON vitals_client_hourly
    (project_id, browser, metric, bucket) INCLUDE (country, device, bin, rating, samples);

CREATE TABLE vitals_client_daily (
    bucket     timestamptz NOT NULL,
    project_id integer NOT NULL,
    metric     smallint NOT NULL,
    device     smallint NOT NULL,
    browser    text NOT NULL,
    country    text NOT NULL,
    rating     smallint NOT NULL,
    bin        smallint NOT NULL,
    samples    bigint NOT NULL,
    PRIMARY KEY (project_id, country, metric, bucket, browser, device, bin, rating)
        INCLUDE (samples)
);
SELECT create_hypertable('vitals_client_daily', by_range('bucket', INTERVAL '30 days'));
CREATE INDEX vitals_client_daily_browser ON vitals_client_daily
    (project_id, browser, metric, bucket) INCLUDE (country, device, bin, rating, samples);

GRANT SELECT ON vitals_totals_hourly, vitals_totals_daily, vitals_device_hourly,
    vitals_device_daily, vitals_route_hourly, vitals_route_daily, vitals_client_hourly,
    vitals_client_daily TO vitals_reader;
