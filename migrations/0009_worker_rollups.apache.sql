-- Nothing to do here: on this edition the rollups have been the workers' hypertables since
-- 0003 and 0006. The Timescale edition's 0009 makes its rollups the same tables.
SELECT 1;
