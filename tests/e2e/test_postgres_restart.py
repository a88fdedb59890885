"""PostgreSQL crashes and restarts while a worker is inside a batch's transaction.

The shared local PostgreSQL serves other suites, so this test runs on a cluster of its
own (tests/support/postgres.py) that it restarts with `pg_ctl restart -m immediate`: every
backend is killed mid-statement, as in a crash, and the server recovers from its WAL.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

import asyncpg
import msgspec

from services.contracts.queue import RETRY_INTERVALS_S
from services.contracts.settings import Settings
from tests.e2e.ledger import ACCEPTED, assert_stored_as_accepted
from tests.e2e.stack import (
    Stack,
    accepted_by_ingest,
    drain,
    eventually,
    fetch_job,
    lock_waiters,
    open_project,
    running_job_ids,
    worker_outcomes,
)
from tests.e2e.traffic import Traffic
from tests.support.postgres import PostgresServer


async def retried(settings: Settings, job_id: str, until: asyncio.Event) -> bool:
    """Whether RQ used one of the job's retries before `until` (or the job went away)."""
    while not until.is_set():
        job = fetch_job(settings, job_id)
        if job is None:
            return False
        if job.retries_left is not None and job.retries_left < len(RETRY_INTERVALS_S):
            return True
        await asyncio.sleep(0.02)
    return False


class TestPostgresRestartedMidBatch:
    async def test_the_interrupted_batch_waits_for_the_server_and_is_stored_once(
        self, stack_settings: Settings, private_postgres: PostgresServer
    ) -> None:
        """PostgreSQL restarted (immediate mode) while a worker waits inside a batch's transaction: the worker keeps the job and re-runs the batch once the server is back, spending none of its retries, and once drained every accepted report is stored once with exact rollups, traffic sent during the restart included."""
        url = await private_postgres.create_migrated_database("vitals")
        settings = msgspec.structs.replace(stack_settings, database_url=url)
        db = await asyncpg.connect(url)
        stack = Stack(settings)
        traffic: Traffic | None = None
        blocker = db
        try:
            project_id, key = await open_project(db, settings, "shop")
            (worker,) = stack.start("only")
            traffic = Traffic(stack.ingest.url, {project_id: key}, seed=4)
            await traffic.page_views(10, concurrency=2)
            await drain(settings)

            blocker = await asyncpg.connect(url)
            # The worker stops in its transaction, pages upserted, at the staging table
            # (CREATE TEMP TABLE ... LIKE vitals needs a lock this one excludes).
            await blocker.execute("BEGIN; LOCK TABLE vitals IN ACCESS EXCLUSIVE MODE")
            assert (await traffic.post(project_id, traffic.new_beacon())).status == ACCEPTED
            await eventually(lambda: _blocked(db), 30, "the worker to block mid-batch")
            (job_id,) = running_job_ids(settings)

            restarted = asyncio.Event()
            watcher = asyncio.create_task(retried(settings, job_id, restarted))
            restart = asyncio.create_task(asyncio.to_thread(private_postgres.restart, "immediate"))
            await traffic.page_views(10, concurrency=2)  # ingest needs no database
            await restart
            await asyncio.sleep(3)  # a retry would be scheduled at once, and run 1 s later
            restarted.set()
            assert not await watcher, "a retry was spent on the restart"
            await traffic.page_views(10, concurrency=2)
            await drain(settings, timeout_s=45)

            assert set(traffic.ledger.statuses) == {ACCEPTED}
            after = await asyncpg.connect(url)  # the crash closed the first ones
            try:
                verdict = await assert_stored_as_accepted(after, traffic.ledger)
            finally:
                await after.close()
            outcomes = worker_outcomes([worker])
            assert outcomes["failed"] == 0
            assert outcomes["stored"] == verdict.rows  # the crashed attempt committed nothing
            counted = sum(outcomes[o] for o in ("stored", "replaced", "duplicate", "dropped"))
            assert counted == accepted_by_ingest(stack.ingest) == traffic.ledger.accepted_reports
        finally:
            if traffic is not None:
                await traffic.aclose()
            stack.stop()
            for connection in (db, blocker):
                with suppress(Exception):
                    await connection.close()


async def _blocked(db: asyncpg.Connection) -> bool:
    return await lock_waiters(db) == 1
