-- The Apache-licensed build has no policies: the workers' hourly retention job
-- (services/workers/retention.py) drops chunks past the configured ages, and raw chunks
-- stay uncompressed (compression is a Timescale-licensed feature).
SELECT 1;
