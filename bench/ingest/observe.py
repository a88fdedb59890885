"""What the bench reads back while it runs: stored counts, tagged rows, queue depth and the
PostgreSQL backends serving the bench database (for their CPU).

Every read is cheap on purpose, since it runs several times a second next to the system
under test: the stored count is the daily rollup's sum (a few hundred rows, written in
the same transaction as the raw rows, so it equals the raw count), and tagged rows are
primary-key lookups.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
import redis.asyncio

from services.ingest.backpressure import QUEUE_KEY

STORED_REPORTS = "SELECT coalesce(sum(samples), 0) FROM vitals_daily WHERE project_id = $1"
# Which of these (time origin, metric id) keys are stored and visible to a reader now.
# One primary-key probe per key: the LIMIT keeps the planner from flattening the lateral
# into a hash join, which read the whole current chunk every poll (75 ms, 0.4 cores of
# PostgreSQL taken from the system under test at 2,000 beacons/s). Its connection has
# JIT off, as the services' have (services/contracts/database.py): once the planner
# costs the probe high, compiling it took ~0.5 s per poll and stalled whole runs. And
# sequential scans off: until autovacuum first analyses the run's new chunk, the planner
# takes it for empty and may scan it whole per key.
VISIBLE_KEYS = """
SELECT k.metric_id
FROM unnest($2::timestamptz[], $3::text[]) AS k(time, metric_id)
CROSS JOIN LATERAL (
    SELECT FROM vitals v
    WHERE v.project_id = $1 AND v.time = k.time AND v.metric_id = k.metric_id
    LIMIT 1
) AS stored
"""
# Checkpoints force a full-page image into the WAL at each page's next change; when they
# come every few seconds nearly every rollup change pays one (see README, "PostgreSQL").
WAL_WRITTEN = """
SELECT w.wal_bytes, w.wal_fpi,
       b.checkpoints_timed + b.checkpoints_req AS checkpoints
FROM pg_stat_wal w, pg_stat_bgwriter b
"""
WATCHER_SETTINGS = {"jit": "off", "enable_seqscan": "off"}
BACKENDS = "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()"
# The summary probe's sessions are the measurement's, not the system under test's.
PROBE = "vitals.query"
_SYSTEM = BACKENDS + f" AND application_name NOT LIKE '{PROBE}%'"
_PROBE = BACKENDS + f" AND application_name LIKE '{PROBE}%'"


async def connect(database_url: str) -> asyncpg.Connection:
    """The bench's own connection for the reads above."""
    return await asyncpg.connect(database_url, server_settings=WATCHER_SETTINGS)


async def stored_reports(connection: asyncpg.Connection, project_id: int) -> int:
    return int(await connection.fetchval(STORED_REPORTS, project_id))


async def visible(
    connection: asyncpg.Connection, project_id: int, keys: list[tuple[datetime, str]]
) -> set[str]:
    if not keys:
        return set()
    times, ids = zip(*keys, strict=True)
    rows = await connection.fetch(VISIBLE_KEYS, project_id, list(times), list(ids))
    return {row["metric_id"] for row in rows}


async def backend_pids(
    connection: asyncpg.Connection, database: str, *, probe: bool = False
) -> list[int]:
    """The database sessions of the system under test, or of the summary probe."""
    return [row["pid"] for row in await connection.fetch(_PROBE if probe else _SYSTEM, database)]


async def wal_written(connection: asyncpg.Connection) -> dict[str, float]:
    """The server's WAL so far: bytes, full-page images, and checkpoints (all kinds)."""
    row = await connection.fetchrow(WAL_WRITTEN)
    assert row is not None  # one row always: both views are server-wide
    return {key: float(value) for key, value in row.items()}


async def delayed_fsyncs(client: redis.asyncio.Redis) -> int:
    """Writes Redis held back because its background AOF fsync ran over 2 s (a slow disk
    stalls every caller then: ingest's 202s wait on those writes)."""
    info = await client.info("persistence")
    return int(info.get("aof_delayed_fsync", 0))


async def queue_depth(client: redis.asyncio.Redis) -> int:
    return int(await client.llen(QUEUE_KEY))
