"""The write path as processes: ingest, workers, and what a test needs to watch them.

Ingest runs under uvicorn and the workers as `python -m services.workers.main`, exactly
as production starts them; each logs to test-output/. A test drains the queue before it
checks the database: nothing waiting, nothing being moved to a worker, nothing running,
nothing scheduled for a retry.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import httpx
import msgspec
import redis
import redis.asyncio
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.intermediate_queue import IntermediateQueue
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer

from services.cli import catalog
from services.contracts import key_registry as registry
from services.contracts.queue import QUEUE_NAME
from services.contracts.redis_client import async_redis, sync_redis
from services.contracts.settings import Settings
from tests.support.ops import OPS_HEADERS
from tests.support.processes import (
    ROOT,
    ServiceProcess,
    settings_env,
    uvicorn_service,
    worker_service,
)

INGEST_FACTORY = "services.ingest.app:create_app"
WORKERS_APPLICATION = "vitals.workers"  # application_name of the workers' connections
QUEUE_KEY = Queue.redis_queue_namespace_prefix + QUEUE_NAME
INTERMEDIATE_KEY = IntermediateQueue.get_intermediate_queue_key(QUEUE_KEY)
STARTED_KEY = StartedJobRegistry.key_template.format(QUEUE_NAME)
SCHEDULED_KEY = ScheduledJobRegistry.key_template.format(QUEUE_NAME)
FAILED_KEY = FailedJobRegistry.key_template.format(QUEUE_NAME)
WORKER_OUTCOMES = ("stored", "replaced", "duplicate", "dropped", "failed")


class Stack:
    """The processes a test started; all stopped when it ends, whatever happened."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._ingest: ServiceProcess | None = None
        self.workers: list[ServiceProcess] = []

    @property
    def ingest(self) -> ServiceProcess:
        assert self._ingest is not None, "start() the stack first"
        return self._ingest

    def start(self, *roles: str) -> list[ServiceProcess]:
        """Ingest and one worker per role, launched side by side (each takes seconds to
        import on a busy machine); the workers, once all are healthy."""
        self._ingest = uvicorn_service("ingest", INGEST_FACTORY, self.settings)
        workers = [self._launch_worker(role) for role in roles]
        for process in [self._ingest, *workers]:
            process.wait_healthy()
        return workers

    def start_worker(self, role: str) -> ServiceProcess:
        worker = self._launch_worker(role)
        worker.wait_healthy()
        return worker

    def _launch_worker(self, role: str) -> ServiceProcess:
        worker = worker_service(self.settings, "--name", f"{role}-{uuid.uuid4().hex[:8]}")
        self.workers.append(worker)
        return worker

    def stop(self) -> None:
        for process in [*self.workers, *([self._ingest] if self._ingest else [])]:
            process.stop()


async def new_project(db: asyncpg.Connection, slug: str) -> tuple[int, str]:
    """A project and an ingest key in the database, not yet in the Redis key registry."""
    project = await catalog.create_project(
        db,
        slug=slug,
        name=slug,
        allowed_origins=[],
        rate_limit_per_minute=600_000,
        filter_bots=True,
    )
    return project.id, await catalog.create_key(db, project.id, "e2e")


async def open_project(db: asyncpg.Connection, settings: Settings, slug: str) -> tuple[int, str]:
    """A project and its key, in a registry built from the database as `vitals keys sync` does."""
    project_id, key = await new_project(db, slug)
    client = async_redis(settings)
    try:
        await registry.rebuild(client, lambda: registry.active_key_access(db))
    finally:
        await client.aclose()
    return project_id, key


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


class QueueState(msgspec.Struct, frozen=True):
    queued: int
    moving: int  # dequeued, not yet registered as started (RQ's intermediate queue)
    started: int
    scheduled: int  # waiting for a retry
    failed: int

    @property
    def idle(self) -> bool:
        return not (self.queued or self.moving or self.started or self.scheduled)


async def queue_state(settings: Settings) -> QueueState:
    client = async_redis(settings)
    try:
        async with client.pipeline(transaction=False) as pipe:
            for key in (QUEUE_KEY, INTERMEDIATE_KEY):
                pipe.llen(key)
            for key in (STARTED_KEY, SCHEDULED_KEY, FAILED_KEY):
                pipe.zcard(key)
            return QueueState(*await pipe.execute())
    finally:
        await client.aclose()


async def drain(settings: Settings, timeout_s: float = 30.0) -> QueueState:
    """Waits until no job is waiting, running or scheduled, three reads in a row."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    quiet = 0
    state = None
    while asyncio.get_running_loop().time() < deadline:
        try:
            state = await queue_state(settings)
        except (redis.RedisError, OSError):
            state, quiet = None, 0
        else:
            quiet = quiet + 1 if state.idle else 0
            if quiet == 3:
                return state
        await asyncio.sleep(0.2)
    raise AssertionError(f"queue not drained after {timeout_s}s: {state}")


def scrape(process: ServiceProcess) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(process.url + "/metrics", headers=OPS_HEADERS, timeout=5).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): float(s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def total(processes: list[ServiceProcess], name: str, **labels: str) -> float:
    """A metric summed over processes (and over the labels not given)."""
    wanted = set(labels.items())
    return sum(
        value
        for process in processes
        for (sample, sample_labels), value in scrape(process).items()
        if sample == name and wanted <= set(sample_labels)
    )


def worker_outcomes(workers: list[ServiceProcess]) -> dict[str, float]:
    return {
        outcome: total(workers, "vitals_worker_reports_total", outcome=outcome)
        for outcome in WORKER_OUTCOMES
    }


def accepted_by_ingest(ingest: ServiceProcess) -> float:
    return total([ingest], "vitals_ingest_reports_total", outcome="accepted")


async def lock_waiters(db: asyncpg.Connection) -> int:
    """Worker connections waiting for a lock (a table lock, or a row another writer holds)."""
    count: int = await db.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
        WORKERS_APPLICATION,
    )
    return count


def running_job_ids(settings: Settings) -> list[str]:
    connection = sync_redis(settings)
    try:
        registry_ = StartedJobRegistry(QUEUE_NAME, connection=connection, serializer=JSONSerializer)
        return registry_.get_job_ids(cleanup=False)
    finally:
        connection.close()


def fetch_job(settings: Settings, job_id: str) -> Job | None:
    connection = sync_redis(settings)
    try:
        return Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
    except NoSuchJobError:  # finished (result_ttl 0) or expired
        return None
    finally:
        connection.close()


def vitals_cli(settings: Settings, *args: str) -> str:
    """Runs the operator's CLI as a process; its standard output."""
    result = subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        env=settings_env(settings), cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout
