"""Real worker processes against real Redis and TimescaleDB: draining, a SIGKILL mid-job,
a job stranded in RQ's intermediate queue, a name reused after a kill, a poison batch,
and re-running failed jobs from the CLI.

Jobs are enqueued exactly as ingest's group commit enqueues them (factories.enqueue_like_ingest);
where a test shortens the Retry it says so, to keep the run short.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import httpx
import msgspec
import redis.asyncio
from rq import Queue, Retry, worker_registration
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer

from services.contracts.queue import QUEUE_NAME, RETRY_INTERVALS_S
from services.contracts.redis_client import sync_redis
from services.contracts.settings import Settings
from tests.support.ops import OPS_HEADERS
from tests.support.processes import ROOT, ServiceProcess, settings_env, worker_service
from tests.workers.conftest import assert_rollups_exact
from tests.workers.factories import batch, create_project, enqueue_like_ingest, page_view, payload

WORKERS_APP = "vitals.workers"


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


async def equals(value: Awaitable[int], expected: int) -> bool:
    """For `eventually`: a count read now equals `expected`."""
    return await value == expected


async def holds(value: bool) -> bool:
    """For `eventually`: a condition computed now."""
    return value


def start_worker(settings: Settings, role: str) -> ServiceProcess:
    worker = worker_service(settings, "--name", f"{role}-{uuid.uuid4().hex[:8]}")
    worker.wait_healthy()
    return worker


def metric(worker: ServiceProcess, line_prefix: str) -> float:
    """A sample's value from the worker's /metrics, 0 when absent."""
    for line in httpx.get(
        worker.url + "/metrics", headers=OPS_HEADERS, timeout=5
    ).text.splitlines():
        if line.startswith(line_prefix + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def registries(settings: Settings) -> tuple[StartedJobRegistry, FailedJobRegistry]:
    connection = sync_redis(settings)
    return (
        StartedJobRegistry(QUEUE_NAME, connection=connection, serializer=JSONSerializer),
        FailedJobRegistry(QUEUE_NAME, connection=connection, serializer=JSONSerializer),
    )


def vitals_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        env=settings_env(settings), cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result


async def rows(db: asyncpg.Connection) -> int:
    count: int = await db.fetchval("SELECT count(*) FROM vitals")
    return count


class TestDraining:
    async def test_worker_drains_enqueued_jobs(
        self, settings: Settings, db: asyncpg.Connection, quiet_redis: redis.asyncio.Redis
    ) -> None:
        """Five jobs enqueued as ingest does are all stored by a worker process, counted in /metrics, and leave nothing behind in the queue."""
        project = await create_project(db)
        worker = start_worker(settings, "drain")
        try:
            for n in range(5):
                body = payload(
                    batch(*(page_view(project, lcp=1000 + n * 10 + i) for i in range(4)))
                )
                enqueue_like_ingest(settings, body)

            async def all_stored() -> bool:
                return await rows(db) == 100

            await eventually(all_stored, 30, "100 rows")
            await assert_rollups_exact(db)
            assert metric(worker, 'vitals_worker_reports_total{outcome="stored",reason=""}') == 100
            # Jobs still waiting when one starts join its transaction (absorption.py).
            processed = metric(worker, 'vitals_worker_batches_total{outcome="processed"}')
            assert processed + metric(worker, "vitals_worker_jobs_absorbed_total") == 5
            assert metric(worker, 'vitals_queue_depth{queue="beacons"}') == 0
            started, failed = registries(settings)
            assert (started.count, failed.count) == (0, 0)
        finally:
            worker.stop()


class TestKilledMidJob:
    async def test_sigkilled_worker_job_reruns_and_is_stored_once(
        self, settings: Settings, db: asyncpg.Connection, quiet_redis: redis.asyncio.Redis
    ) -> None:
        """A worker SIGKILLed inside a batch's transaction leaves no trace; another worker re-runs the job once its lease expires, and every row is stored once."""
        project = await create_project(db)
        first = payload(batch(*(page_view(project) for _ in range(3))))
        second = payload(batch(*(page_view(project) for _ in range(3))))
        blocker = await asyncpg.connect(settings.database_url)
        # Holding this lock stops both jobs at their last statement (the daily rollup),
        # after they wrote raw rows and hourly rollups in their open transactions.
        await blocker.execute("BEGIN; LOCK TABLE vitals_daily IN SHARE MODE")

        async def waiting_workers() -> int:
            count: int = await db.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
                WORKERS_APP,
            )
            return count

        survivor = start_worker(settings, "survivor")  # first, so it also holds the scheduler lock
        victim: ServiceProcess | None = None
        try:
            enqueue_like_ingest(settings, first)
            await eventually(lambda: equals(waiting_workers(), 1), 30, "the survivor to block")
            victim = start_worker(settings, "victim")
            job = enqueue_like_ingest(settings, second)
            await eventually(lambda: equals(waiting_workers(), 2), 30, "the victim to block")
            assert Job.fetch(job.id, sync_redis(settings), JSONSerializer).worker_name.startswith(
                "victim"
            )

            victim.stop(signal.SIGKILL)
            await blocker.execute("ROLLBACK")

            async def both_stored() -> bool:
                return await rows(db) == 30

            await eventually(both_stored, 90, "the killed job to re-run")
            connection = sync_redis(settings)

            async def finished() -> bool:  # result_ttl 0: a finished job is deleted
                return not Job.exists(job.id, connection)

            await eventually(finished, 15, "RQ to finish the re-run job")
            await assert_rollups_exact(db)
            # The survivor stored all 30 reports itself (nothing of the killed attempt
            # survived) and ran each job once.
            assert metric(survivor, 'vitals_worker_reports_total{outcome="stored",reason=""}') == 30
            assert (
                metric(survivor, 'vitals_worker_reports_total{outcome="duplicate",reason=""}') == 0
            )
            assert metric(survivor, 'vitals_worker_batches_total{outcome="processed"}') == 2
            started, failed = registries(settings)
            assert (started.count, failed.count) == (0, 0)
        finally:
            await blocker.close()
            if victim is not None:
                victim.stop(signal.SIGKILL)
            survivor.stop()


class TestStuckInIntermediateQueue:
    async def test_a_job_stranded_between_dequeue_and_start_runs_within_seconds(
        self, settings: Settings, db: asyncpg.Connection, quiet_redis: redis.asyncio.Redis
    ) -> None:
        """A job moved to RQ's intermediate queue by a worker that died before starting it is put back and run by a new worker within seconds (RQ alone waits over a minute and spends a retry), retries intact, its reports stored once."""
        project = await create_project(db)
        job = enqueue_like_ingest(settings, payload(batch(*(page_view(project) for _ in range(3)))))
        connection = sync_redis(settings)
        queue = Queue(QUEUE_NAME, connection=connection, serializer=JSONSerializer)
        # What a worker does first (BLMOVE queue -> intermediate, then fetch): dying here,
        # before prepare_job_execution registers the job as started, strands it.
        taken = Queue.dequeue_any([queue], None, connection=connection, serializer=JSONSerializer)
        assert taken is not None and taken[0].id == job.id
        assert queue.intermediate_queue.get_job_ids() == [job.id] and queue.count == 0

        worker = start_worker(settings, "rescuer")
        started = time.monotonic()
        retries_seen: set[int | None] = set()
        try:

            async def stored() -> bool:
                with contextlib.suppress(NoSuchJobError):  # gone once finished (result_ttl 0)
                    retries_seen.add(Job.fetch(job.id, connection, JSONSerializer).retries_left)
                return await rows(db) == 15

            # Recovery needs two maintenance passes 5 s apart (10 s interval); RQ's own
            # cleanup would not touch the job for a minute.
            await eventually(stored, 50, "the stranded job to run")
            print(f"\nstranded job: stored {time.monotonic() - started:.1f} s after a worker start")

            async def finished() -> bool:
                return not Job.exists(job.id, connection)

            await eventually(finished, 15, "RQ to finish the job")
            await assert_rollups_exact(db)
            assert retries_seen == {len(RETRY_INTERVALS_S)}, retries_seen
            assert metric(worker, 'vitals_worker_reports_total{outcome="stored",reason=""}') == 15
            assert metric(worker, 'vitals_worker_batches_total{outcome="processed"}') == 1
            assert queue.intermediate_queue.get_job_ids() == []
            started_registry, failed = registries(settings)
            assert (started_registry.count, failed.count) == (0, 0)
            assert "stuck_job_requeued" in worker.log_path.read_text()
        finally:
            worker.stop()


class TestNameReusedAfterKill:
    async def test_a_worker_restarted_under_the_same_name_works_at_once(
        self, settings: Settings, db: asyncpg.Connection, quiet_redis: redis.asyncio.Redis
    ) -> None:
        """A worker started with the `--name` of one just SIGKILLed (whose registration has not expired) is not refused: it stores a job within seconds, and both registered names share the prefix."""
        project = await create_project(db)
        connection = sync_redis(settings)
        prefix = f"w{uuid.uuid4().hex[:6]}"

        def names() -> set[str]:
            keys = worker_registration.get_keys(connection=connection)
            mine = f"rq:worker:{prefix}."
            return {k.removeprefix("rq:worker:") for k in keys if k.startswith(mine)}

        first = worker_service(settings, "--name", prefix)
        first.wait_healthy()
        second: ServiceProcess | None = None
        try:
            await eventually(lambda: holds(len(names()) == 1), 30, "the first to register")
            (first_name,) = names()
            first.stop(signal.SIGKILL)
            assert connection.exists(f"rq:worker:{first_name}"), "registration already gone"
            killed = time.monotonic()
            second = worker_service(settings, "--name", prefix)
            second.wait_healthy()
            enqueue_like_ingest(settings, payload(batch(page_view(project), page_view(project))))

            async def stored() -> bool:
                return await rows(db) == 10

            await eventually(stored, 30, "the restarted worker to store a job")
            print(f"\nsame name: job stored {time.monotonic() - killed:.1f} s after the kill")
            assert second.process.poll() is None, second.log_path.read_text()[-2000:]
            both = names()
            assert len(both) == 2 and first_name in both, both
            assert metric(second, 'vitals_worker_reports_total{outcome="stored",reason=""}') == 10
        finally:
            first.stop(signal.SIGKILL)
            if second is not None:
                second.stop()


class TestPoisonBatch:
    async def test_poison_ends_in_failed_registry_and_later_jobs_flow(
        self, settings: Settings, db: asyncpg.Connection, quiet_redis: redis.asyncio.Redis
    ) -> None:
        """A payload that cannot decode is retried, then parked in the failed registry and counted, while the job behind it is stored (Retry shortened to 2 × 1 s)."""
        project = await create_project(db)
        worker = start_worker(settings, "poison")
        try:
            poison = enqueue_like_ingest(
                settings, '{"v": 1, "beacons": "nope"}', Retry(max=2, interval=1)
            )
            enqueue_like_ingest(settings, payload(batch(page_view(project))))
            _, failed = registries(settings)

            async def stored() -> bool:
                return await rows(db) == 5

            async def parked() -> bool:
                return failed.get_job_ids() == [poison.id]

            await eventually(stored, 30, "the good job")
            await eventually(parked, 30, "the poison job to fail for good")
            result = Job.fetch(poison.id, sync_redis(settings), JSONSerializer).latest_result()
            assert result is not None and "ValidationError" in (result.exc_string or "")
            assert metric(worker, 'vitals_worker_batches_total{outcome="failed"}') == 1
            assert metric(worker, 'vitals_queue_failed_jobs{queue="beacons"}') == 1
        finally:
            worker.stop()


class TestFailedJobsCli:
    async def test_jobs_failed_lists_and_retry_failed_reruns(
        self, settings: Settings, db: asyncpg.Connection, quiet_redis: redis.asyncio.Redis
    ) -> None:
        """Jobs that failed on a misconfigured worker (a database that does not exist: not an outage, which is waited out) are listed by `vitals jobs failed` and stored after `vitals jobs retry-failed` by a healthy worker."""
        project = await create_project(db)
        base, _, _ = settings.database_url.rpartition("/")
        no_database = msgspec.structs.replace(settings, database_url=f"{base}/vitals_no_such_db")
        broken = start_worker(no_database, "broken")
        try:
            job = enqueue_like_ingest(
                settings,
                payload(batch(page_view(project), page_view(project))),
                Retry(max=1, interval=1),
            )
            _, failed = registries(settings)

            async def parked() -> bool:
                return failed.get_job_ids() == [job.id]

            await eventually(parked, 30, "the job to fail on the missing database")
            assert metric(broken, 'vitals_worker_reports_total{outcome="failed",reason=""}') == 10
        finally:
            broken.stop()

        (listed,) = json.loads(vitals_cli(settings, "jobs", "failed").stdout)
        assert (listed["id"], listed["beacons"]) == (job.id, 2)
        assert "vitals_no_such_db" in listed["error"]

        healthy = start_worker(settings, "healthy")
        try:
            assert "requeued 1 failed job(s)" in vitals_cli(settings, "jobs", "retry-failed").stdout

            async def stored() -> bool:
                return await rows(db) == 10

            await eventually(stored, 30, "the re-run job")
            assert failed.count == 0
            assert json.loads(vitals_cli(settings, "jobs", "failed").stdout) == []
        finally:
            healthy.stop()
