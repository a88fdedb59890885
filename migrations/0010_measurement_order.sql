-- The order of a report among its page view's beacons (wire v1 `seq`), so the latest
-- measurement of a metric id wins rather than the latest arrival: a beacon the network or
-- the SDK re-sends late carries an older value than the re-report stored before it
-- (services/workers/recency.py). 0 for rows stored before and for senders without it,
-- where the arrival time alone orders reports, as before.
-- A constant default is only written to the catalog (no table rewrite, compressed chunks
-- included), so this is instant on a large hypertable.
ALTER TABLE vitals ADD COLUMN seq integer NOT NULL DEFAULT 0;
