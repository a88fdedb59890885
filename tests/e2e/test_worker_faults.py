"""Workers dying mid-batch and batches delivered twice, with traffic through ingest.

tests/workers/test_worker_process.py kills a worker mid-job with jobs enqueued directly;
here the batches come from ingest (its real job options), traffic keeps flowing while
the killed worker's batch waits for its lease to run out, and re-reports sent after the
kill reach the database before the original they grow: the re-run must not undo them.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Awaitable

import asyncpg
from rq import Queue
from rq.serializers import JSONSerializer

from services.contracts.queue import QUEUE_NAME, RETRY_INTERVALS_S, decode_batch
from services.contracts.redis_client import sync_redis
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
from tests.e2e.traffic import Traffic, re_report
from tests.workers.factories import enqueue_like_ingest

# Holding this lock stops a worker at its batch's last statement (the daily rollup), with
# raw rows and hourly rollups written in its open transaction.
HOLD_DAILY_ROLLUP = "BEGIN; LOCK TABLE vitals_daily IN SHARE MODE"


class TestWorkerKilledMidBatch:
    async def test_the_batch_reruns_on_the_survivor_and_later_re_reports_keep_their_values(
        self, stack: Stack, stack_settings: Settings, db: asyncpg.Connection
    ) -> None:
        """A worker SIGKILLed inside a batch's transaction loses nothing: the survivor goes on storing new traffic, re-runs the abandoned batch once its lease expires, stores it once, and the re-reports that arrived in between keep their later values."""
        project_id, key = await open_project(db, stack_settings, "shop")
        # The killed worker's job goes straight back to the queue (services/workers/
        # recovery.py), so which worker holds the retry scheduler's lock does not matter.
        (survivor,) = stack.start("survivor")
        traffic = Traffic(stack.ingest.url, {project_id: key}, seed=2)
        blocker = await asyncpg.connect(stack_settings.database_url)
        try:
            await blocker.execute(HOLD_DAILY_ROLLUP)
            assert (await traffic.post(project_id, traffic.new_beacon())).status == ACCEPTED
            await eventually(lambda: _equals(lock_waiters(db), 1), 30, "the survivor to block")
            victim = stack.start_worker("victim")
            (survivor_job,) = running_job_ids(stack_settings)
            doomed = traffic.new_beacon()
            assert (await traffic.post(project_id, doomed)).status == ACCEPTED
            await eventually(lambda: _equals(lock_waiters(db), 2), 30, "the victim to block")
            (victim_job,) = set(running_job_ids(stack_settings)) - {survivor_job}
            job = fetch_job(stack_settings, victim_job)
            assert job is not None and (job.worker_name or "").startswith("victim")

            victim.stop(signal.SIGKILL)
            killed_at = time.monotonic()
            await blocker.execute("ROLLBACK")
            assert (await traffic.post(project_id, re_report(doomed))).status == ACCEPTED
            await traffic.page_views(20, concurrency=2)
        finally:
            await blocker.close()
            await traffic.aclose()

        retries_seen: set[int | None] = set()

        async def rerun() -> bool:
            job = fetch_job(stack_settings, victim_job)
            if job is None:
                return True  # finished (result_ttl 0)
            retries_seen.add(job.retries_left)
            return False

        # Lease (15 s) + maintenance (10 s), re-queued at the front: well under a minute.
        await eventually(rerun, 60, "the killed worker's job to re-run")
        print(
            f"\nkilled worker: its job re-ran {time.monotonic() - killed_at:.1f} s after the kill"
        )
        # Re-queued as it was, not retried: RQ's own handling would have spent a retry and
        # parked the job in the scheduled registry for its first interval (1 s).
        assert retries_seen == {len(RETRY_INTERVALS_S)}, retries_seen
        await drain(stack_settings, timeout_s=60)
        await assert_stored_as_accepted(db, traffic.ledger)
        # The killed attempt left nothing behind: the survivor counted every report once.
        outcomes = worker_outcomes([survivor])
        assert outcomes["failed"] == 0
        counted = sum(outcomes[o] for o in ("stored", "replaced", "duplicate", "dropped"))
        assert counted == accepted_by_ingest(stack.ingest) == traffic.ledger.accepted_reports


class TestOneBatchTwice:
    async def test_two_workers_running_the_same_batch_at_once_store_it_once(
        self, stack: Stack, stack_settings: Settings, db: asyncpg.Connection
    ) -> None:
        """An ingest batch delivered as two jobs and run by two workers at the same moment is stored once: one run stores, the other finds duplicates, and the rollups count each report once."""
        project_id, key = await open_project(db, stack_settings, "shop")
        stack.start()  # ingest alone, so that its jobs wait in the queue
        traffic = Traffic(stack.ingest.url, {project_id: key}, seed=3)
        try:
            await traffic.page_views(30, concurrency=6)
        finally:
            await traffic.aclose()
        assert traffic.ledger.statuses == {ACCEPTED: len(traffic.ledger.answers)}
        queue = Queue(QUEUE_NAME, connection=sync_redis(stack_settings), serializer=JSONSerializer)
        first = queue.jobs[0]
        payload = first.args[0]
        twin = enqueue_like_ingest(stack_settings, payload, at_front=True)  # run side by side
        batch_reports = sum(len(b.beacon.reports) for b in decode_batch(payload).beacons)

        blocker = await asyncpg.connect(stack_settings.database_url)
        try:
            await blocker.execute(HOLD_DAILY_ROLLUP)
            workers = [stack.start_worker("a"), stack.start_worker("b")]
            await eventually(lambda: _equals(lock_waiters(db), 2), 30, "both runs to block")
            assert set(running_job_ids(stack_settings)) == {first.id, twin.id}
            await blocker.execute("ROLLBACK")
        finally:
            await blocker.close()

        await drain(stack_settings)
        await assert_stored_as_accepted(db, traffic.ledger)
        outcomes = worker_outcomes(workers)
        assert outcomes["failed"] == 0
        assert outcomes["duplicate"] >= batch_reports  # the second run changed nothing
        counted = sum(outcomes[o] for o in ("stored", "replaced", "duplicate", "dropped"))
        assert counted == traffic.ledger.accepted_reports + batch_reports


async def _equals(value: Awaitable[int], expected: int) -> bool:
    return await value == expected
