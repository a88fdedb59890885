"""`project_deleted`: purge a deleted project's data in small batches, then its row.

The admin API and `vitals project delete` mark the project deleted and revoke its keys
at once (services/contracts/project_deletion.py); this job deletes what it measured.
Each statement deletes at most BATCH_ROWS rows and commits on its own, so no lock or
transaction outlives a fraction of a second and the workers' statement timeout is never
reached: raw and rollup hypertables chunk by chunk (rows picked by their `ctid` inside
one chunk, a plain table; a compressed chunk of the Timescale edition is deleted
through the hypertable, whose batches are segmented by project), then the plain tables.

Beacons queued before the keys were revoked may still be stored for a while (the workers
cache a project for 30 s before they see it deleted: services/workers/projects.py), so the
project row goes only once GRACE_S have passed since the deletion: a purge that runs
earlier purges, then schedules itself again for then, and that pass deletes what came in.
The project row's delete cascades to what is left (keys, deploy tokens, alert rules and
destinations). A re-run continues where a killed one stopped; two at once do not
overlap (an advisory lock). The hourly retention job also enqueues a purge for every
project still marked deleted, in case one was never enqueued (Redis lost it, say).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import redis
import structlog
from rq import get_current_job

from services.contracts import key_registry
from services.contracts.database import Connection
from services.contracts.project_deletion import enqueue_purge
from services.contracts.redis_client import async_redis, sync_redis
from services.workers import runtime
from services.workers.rollups import FAMILIES

BATCH_ROWS = 5_000  # tens of milliseconds a statement, far below the 10 s timeout
GRACE_S = 120  # past the workers' project cache (30 s) and ingest's key cache (5 s)
LOCK_CLASS = 7_242_015  # advisory lock (class, project id): one purge per project

# The hypertables, each with its time column.
HYPERTABLES: tuple[tuple[str, str], ...] = (
    ("vitals", "time"),
    *((f"{f.stem}_{width}", "bucket") for f in FAMILIES for width in ("hourly", "daily")),
)
# Plain tables with the project's rows, in an order their references allow.
PLAIN_TABLES = (
    "vitals_release_routes",
    "releases",
    "pages",
    "deploys",
    "alert_deliveries",
    "alert_events",
)

SELECT_DELETED = """
SELECT deleted_at, now() - deleted_at >= make_interval(secs => $2) AS past_grace
FROM projects WHERE id = $1
"""
SELECT_ALL_DELETED = "SELECT id FROM projects WHERE deleted_at IS NOT NULL ORDER BY id"
SELECT_CHUNKS = """
SELECT format('%I.%I', chunk_schema, chunk_name) AS chunk, range_start, range_end,
       is_compressed
FROM timescaledb_information.chunks
WHERE hypertable_schema = 'public' AND hypertable_name = $1
ORDER BY range_start
"""
SELECT_KEY_HASHES = "SELECT key_hash FROM ingest_keys WHERE project_id = $1"
DELETE_PROJECT = "DELETE FROM projects WHERE id = $1 AND deleted_at IS NOT NULL"
TRY_LOCK = "SELECT pg_try_advisory_lock($1, $2)"
UNLOCK = "SELECT pg_advisory_unlock($1, $2)"

log = structlog.get_logger()


def batch_delete(table: str) -> str:
    """Up to $2 of the project's rows of one plain table (a chunk is one). The name comes
    from our constants or from PostgreSQL's own quoting (format %I), never from input."""
    return (
        f"DELETE FROM {table} WHERE ctid = ANY(ARRAY("
        f"SELECT ctid FROM {table} WHERE project_id = $1 LIMIT $2))"
    )


def range_delete(hypertable: str, time_column: str) -> str:
    return (
        f"DELETE FROM {hypertable} WHERE project_id = $1"
        f" AND {time_column} >= $2 AND {time_column} < $3"
    )


async def delete_in_batches(connection: Connection, table: str, project_id: int) -> int:
    statement, deleted = batch_delete(table), 0
    while True:
        status: str = await connection.execute(statement, project_id, BATCH_ROWS)
        count = int(status.rsplit(" ", 1)[1])
        deleted += count
        if count < BATCH_ROWS:
            return deleted


async def purge_hypertable(
    connection: Connection, hypertable: str, time_column: str, project_id: int
) -> int:
    deleted = 0
    for chunk in await connection.fetch(SELECT_CHUNKS, hypertable):
        if chunk["is_compressed"]:
            status: str = await connection.execute(
                range_delete(hypertable, time_column),
                project_id, chunk["range_start"], chunk["range_end"],
            )  # fmt: skip
            deleted += int(status.rsplit(" ", 1)[1])
        else:
            deleted += await delete_in_batches(connection, chunk["chunk"], project_id)
    return deleted


def tables() -> Iterator[str]:
    yield from (table for table, _ in HYPERTABLES)
    yield from PLAIN_TABLES


async def purge(connection: Connection, project_id: int) -> dict[str, object]:
    """Delete the deleted project's rows; its row too once the grace has passed."""
    marked = await connection.fetchrow(SELECT_DELETED, project_id, GRACE_S)
    if marked is None or marked["deleted_at"] is None:
        # Never purge a live project; a missing one was purged already.
        return {"project_id": project_id, "purged": False}
    rows: dict[str, int] = {}
    for table, time_column in HYPERTABLES:
        rows[table] = await purge_hypertable(connection, table, time_column, project_id)
    for table in PLAIN_TABLES:
        rows[table] = await delete_in_batches(connection, table, project_id)
    hashes = [r["key_hash"] for r in await connection.fetch(SELECT_KEY_HASHES, project_id)]
    # Again: the deletion's own withdrawal may have met a Redis outage.
    await withdraw_keys(hashes)
    finished: bool = marked["past_grace"]
    if finished:
        await connection.execute(DELETE_PROJECT, project_id)
    return {"project_id": project_id, "purged": True, "finished": finished,
            "again_at": None if finished else marked["deleted_at"] + timedelta(seconds=GRACE_S),
            "rows": {t: n for t, n in rows.items() if n}}  # fmt: skip


async def withdraw_keys(hashes: list[str]) -> None:
    client = async_redis(runtime.current().settings)
    try:
        await key_registry.withdraw(client, hashes)
    finally:
        await client.aclose()


async def locked_purge(project_id: int) -> dict[str, object]:
    pool = await runtime.current().pool()
    async with pool.acquire() as connection:
        if not await connection.fetchval(TRY_LOCK, LOCK_CLASS, project_id):
            return {"project_id": project_id, "purged": False, "reason": "running elsewhere"}
        try:
            return await purge(connection, project_id)
        finally:
            await connection.execute(UNLOCK, LOCK_CLASS, project_id)


def project_deleted(project_id: int) -> dict[str, object]:
    """The job: purge, and come back after the grace when it has not passed yet."""
    rt = runtime.current()
    outcome = rt.run(locked_purge(project_id))
    again_at = outcome.pop("again_at", None)
    if isinstance(again_at, datetime):
        enqueue_purge(_queue_redis(), project_id, at=again_at)
    log.info("project_purged", **outcome)
    return outcome


def sweep_deleted_projects() -> list[int]:
    """A purge for every project still marked deleted (from the hourly retention job)."""
    rt = runtime.current()

    async def deleted() -> list[int]:
        pool = await rt.pool()
        return [row["id"] for row in await pool.fetch(SELECT_ALL_DELETED)]

    project_ids = rt.run(deleted())
    client = _queue_redis()
    for project_id in project_ids:
        enqueue_purge(client, project_id)
    return project_ids


def _queue_redis() -> redis.Redis:
    job = get_current_job()
    return job.connection if job is not None else sync_redis(runtime.current().settings)
