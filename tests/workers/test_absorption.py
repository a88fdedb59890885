"""Queued batches joining the job that starts (services/workers/absorption.py): merged into
one transaction by real worker processes, stored once whatever happens, and never taking
a job that must run alone.

Jobs are enqueued as ingest's group commit enqueues them (factories.enqueue_like_ingest).
"""

from __future__ import annotations

import signal

import asyncpg
import pytest
from rq import Queue, Retry
from rq.job import Job
from rq.serializers import JSONSerializer

from services.contracts.queue import BEACONS_FIELD, MAX_BATCH_BEACONS, QUEUE_NAME
from services.contracts.redis_client import sync_redis
from services.contracts.settings import Settings
from services.workers.absorption import (
    ABSORBED_KEY,
    ALONE_FIELD,
    MAX_CLAIMED_BEACONS,
    OWNERS_KEY,
    claim,
    give_back,
    release_orphans,
)
from tests.support.processes import ServiceProcess
from tests.workers.conftest import assert_rollups_exact
from tests.workers.factories import batch, create_project, enqueue_like_ingest, page_view, payload
from tests.workers.test_worker_process import (
    WORKERS_APP,
    equals,
    eventually,
    holds,
    metric,
    registries,
    rows,
    start_worker,
)

# The flushed test Redis with the hourly retention job kept out of the queue.
pytestmark = pytest.mark.usefixtures("quiet_redis")

ABSORBED = "vitals_worker_jobs_absorbed_total"
RETENTION_DUE = "services.workers.jobs.retention_due"
PROCESSED = 'vitals_worker_batches_total{outcome="processed"}'


def beacons_queue(settings: Settings) -> Queue:
    return Queue(QUEUE_NAME, connection=sync_redis(settings), serializer=JSONSerializer)


def queued_ids(settings: Settings) -> list[str]:
    return beacons_queue(settings).get_job_ids()


class TestMergedByAWorker:
    async def test_waiting_jobs_are_stored_in_the_first_ones_transaction_once(
        self, settings: Settings, db: asyncpg.Connection
    ) -> None:
        """Six jobs waiting when a worker starts: the first takes the other five along, every
        report is stored once with exact rollups, and no job, list or owner is left behind."""
        project = await create_project(db)
        jobs = [
            enqueue_like_ingest(settings, payload(batch(*(page_view(project) for _ in range(4)))))
            for _ in range(6)
        ]
        worker = start_worker(settings, "merge")
        try:
            await eventually(lambda: equals(rows(db), 120), 30, "120 rows")
            await assert_rollups_exact(db)
            assert metric(worker, ABSORBED) == 5
            assert metric(worker, PROCESSED) == 1
            assert metric(worker, 'vitals_worker_reports_total{outcome="stored",reason=""}') == 120
            connection = sync_redis(settings)
            assert not any(Job.exists(job.id, connection) for job in jobs)
            assert not connection.exists(OWNERS_KEY, ABSORBED_KEY.format(owner=jobs[0].id))
            started, failed = registries(settings)
            assert (started.count, failed.count) == (0, 0)
        finally:
            worker.stop()

    async def test_an_owner_killed_mid_transaction_reruns_with_what_it_took(
        self, settings: Settings, db: asyncpg.Connection
    ) -> None:
        """A worker SIGKILLed inside a merged transaction: its job re-runs on another worker
        with the jobs it had taken (they are in no queue meanwhile), and all is stored once."""
        project = await create_project(db)
        jobs = [
            enqueue_like_ingest(settings, payload(batch(*(page_view(project) for _ in range(3)))))
            for _ in range(3)
        ]
        blocker = await asyncpg.connect(settings.database_url)
        # Holds the transaction at its daily rollup, after the raw rows were written.
        await blocker.execute("BEGIN; LOCK TABLE vitals_daily IN SHARE MODE")
        victim = start_worker(settings, "victim")
        survivor: ServiceProcess | None = None
        try:
            await eventually(lambda: _blocked_workers(db, 1), 30, "the victim to block")
            connection = sync_redis(settings)
            held = connection.lrange(ABSORBED_KEY.format(owner=jobs[0].id), 0, -1)
            assert [i.decode() for i in held] == [jobs[1].id, jobs[2].id]
            assert queued_ids(settings) == []

            victim.stop(signal.SIGKILL)
            await blocker.execute("ROLLBACK")
            survivor = start_worker(settings, "survivor")
            await eventually(lambda: equals(rows(db), 45), 90, "the killed job to re-run")
            await eventually(
                lambda: holds(not any(Job.exists(j.id, connection) for j in jobs)),
                15,
                "every job to finish",
            )
            await assert_rollups_exact(db)
            assert metric(survivor, 'vitals_worker_reports_total{outcome="stored",reason=""}') == 45
            assert metric(survivor, ABSORBED) == 2
            assert not connection.exists(ABSORBED_KEY.format(owner=jobs[0].id))
        finally:
            await blocker.close()
            victim.stop(signal.SIGKILL)
            if survivor is not None:
                survivor.stop()

    async def test_an_unreadable_waiting_job_is_left_to_fail_alone(
        self, settings: Settings, db: asyncpg.Connection
    ) -> None:
        """A waiting job whose payload does not decode is given back instead of merged: the
        good job is stored, and the bad one fails on its own, spending its own retries."""
        project = await create_project(db)
        enqueue_like_ingest(settings, payload(batch(page_view(project))))
        poison = enqueue_like_ingest(settings, '{"v": 1, "beacons": "nope"}')
        worker = start_worker(settings, "poison")
        try:
            await eventually(lambda: equals(rows(db), 5), 30, "the good job")
            connection = sync_redis(settings)

            async def failed_once() -> bool:  # its retries are its own: 5 at first
                job = Job.fetch(poison.id, connection, JSONSerializer)
                return job.retries_left is not None and job.retries_left <= 4

            await eventually(failed_once, 30, "the poison's own first failure")
            assert connection.hget(poison.key, ALONE_FIELD) == b"1"
            assert metric(worker, ABSORBED) == 0
        finally:
            worker.stop()


class TestClaim:
    async def test_a_claim_takes_first_attempts_in_order_and_stops_at_any_other_job(
        self, settings: Settings
    ) -> None:
        """Beacon batches at the head of the queue are claimed in order; a retried job or
        another kind of job ends the claim, and it and everything behind it stay queued."""
        queue = beacons_queue(settings)
        first, second = (enqueue_like_ingest(settings, payload(batch())) for _ in range(2))
        retried = enqueue_like_ingest(settings, payload(batch()), Retry(max=2, interval=1))
        after = enqueue_like_ingest(settings, payload(batch()))
        assert [j.id for j in claim(queue, "owner").jobs] == [first.id, second.id]
        assert queued_ids(settings) == [retried.id, after.id]

        queue.empty()
        other_kind = queue.enqueue_call(RETENTION_DUE)
        enqueue_like_ingest(settings, payload(batch()))
        assert claim(queue, "another-owner").jobs == []
        assert queued_ids(settings)[0] == other_kind.id

    async def test_a_claim_stops_before_the_beacon_bound(self, settings: Settings) -> None:
        """Claimed jobs carry at most MAX_CLAIMED_BEACONS beacons by ingest's counts; a job
        without a count counts as a full one."""
        queue = beacons_queue(settings)
        jobs = [enqueue_like_ingest(settings, payload(batch())) for _ in range(4)]
        for job in jobs[:3]:
            queue.connection.hset(job.key, BEACONS_FIELD, MAX_CLAIMED_BEACONS * 2 // 5)
        assert [j.id for j in claim(queue, "owner").jobs] == [jobs[0].id, jobs[1].id]
        queue.empty()
        uncounted = enqueue_like_ingest(settings, payload(batch()))
        queue.connection.hdel(uncounted.key, BEACONS_FIELD)
        assert MAX_CLAIMED_BEACONS < 3 * MAX_BATCH_BEACONS
        more = [enqueue_like_ingest(settings, payload(batch())) for _ in range(2)]
        for job in more:
            queue.connection.hdel(job.key, BEACONS_FIELD)
        assert [j.id for j in claim(queue, "other").jobs] == [uncounted.id, more[0].id]

    async def test_given_back_jobs_return_to_the_front_and_are_never_claimed_again(
        self, settings: Settings
    ) -> None:
        """An owner that failed gives its jobs back at the front of the queue, in order,
        each marked to run alone; the owner's list and membership go."""
        queue = beacons_queue(settings)
        jobs = [enqueue_like_ingest(settings, payload(batch())) for _ in range(3)]
        claimed = claim(queue, "owner")
        later = enqueue_like_ingest(settings, payload(batch()))

        give_back(claimed)
        assert queued_ids(settings) == [*(j.id for j in jobs), later.id]
        assert all(queue.connection.hget(j.key, ALONE_FIELD) == b"1" for j in jobs)
        assert not queue.connection.exists(ABSORBED_KEY.format(owner="owner"))
        assert not queue.connection.sismember(OWNERS_KEY, "owner")
        assert claim(queue, "next").jobs == []

    async def test_a_rerun_owner_gets_back_exactly_what_it_held(self, settings: Settings) -> None:
        queue = beacons_queue(settings)
        held = [enqueue_like_ingest(settings, payload(batch())) for _ in range(2)]
        assert [j.id for j in claim(queue, "owner").jobs] == [j.id for j in held]
        newer = enqueue_like_ingest(settings, payload(batch()))
        assert [j.id for j in claim(queue, "owner").jobs] == [j.id for j in held]
        assert queued_ids(settings) == [newer.id]

    async def test_orphaned_lists_are_given_back_and_living_owners_keep_theirs(
        self, settings: Settings
    ) -> None:
        """Maintenance gives back the list of an owner job that no longer exists (an
        operator deleted it); an owner that exists will run again and keeps its list."""
        queue = beacons_queue(settings)
        orphaned = enqueue_like_ingest(settings, payload(batch()))
        claim(queue, "deleted-owner")
        living = enqueue_like_ingest(settings, payload(batch()))
        kept = enqueue_like_ingest(settings, payload(batch()))
        queue.remove(living.id)  # the owner is running: out of the queue, its hash kept
        claim(queue, living.id)

        assert release_orphans(queue) == 1
        assert queued_ids(settings) == [orphaned.id]
        held = queue.connection.lrange(ABSORBED_KEY.format(owner=living.id), 0, -1)
        assert [i.decode() for i in held] == [kept.id]


async def _blocked_workers(db: asyncpg.Connection, count: int) -> bool:
    blocked: int = await db.fetchval(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE application_name = $1 AND wait_event_type = 'Lock'",
        WORKERS_APP,
    )
    return blocked == count
