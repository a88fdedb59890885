"""The worker's small HTTP side: /health, /ready and /metrics (ops token only), on its own thread.

RQ owns the main thread; the health server runs uvicorn in a daemon thread with its own
event loop, so a long job never delays a liveness probe.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import uvicorn
from litestar import Litestar, Response, get
from litestar.datastructures import State
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from redis.exceptions import RedisError
from rq.queue import Queue
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from services.contracts.database import create_pool, ping
from services.contracts.errors import EXCEPTION_HANDLERS
from services.contracts.health import CHECK_TIMEOUT_S, Degraded, NotReady, health_router
from services.contracts.ops import ops_token, require_ops_token
from services.contracts.queue import QUEUE_NAME
from services.contracts.redis_client import async_redis
from services.contracts.settings import Settings
from services.workers import counters
from services.workers.outages import BOARD, DATABASE, QUEUE_REDIS
from services.workers.timescale_jobs import COLLECTOR, JobsReport, read_report

SERVICE = "workers.health"
QUEUE_KEY = Queue.redis_queue_namespace_prefix + QUEUE_NAME
FAILED_KEY = FailedJobRegistry.key_template.format(QUEUE_NAME)
SCHEDULED_KEY = ScheduledJobRegistry.key_template.format(QUEUE_NAME)
DEPENDENCY_DOWN = Gauge(
    "vitals_worker_dependency_down_seconds",
    "How long this worker has been waiting out a dependency (0: available).",
    ["dependency"],
)


def raise_if_waiting_out(dependency: str) -> None:
    """The worker's own loop met an outage of this dependency (outages.py): say since when.

    Read before the dependency's ping, so the check is named after the dependency whether or
    not the loop has met the outage yet, and a Redis that answers PING but refuses writes
    (full) is still reported.
    """
    for outage in BOARD.current():
        if outage.dependency == dependency:
            raise NotReady(outage.describe())


async def check_database(state: State) -> None:
    raise_if_waiting_out(DATABASE)
    await ping(state.db, CHECK_TIMEOUT_S)


async def check_redis(state: State) -> None:
    raise_if_waiting_out(QUEUE_REDIS)
    await state.redis.ping()


async def refresh_timescaledb_jobs(state: State) -> JobsReport:
    """Reads TimescaleDB's jobs and keeps them for the next /metrics (timescale_jobs.py)."""
    async with state.db.acquire() as connection:
        COLLECTOR.latest = await read_report(connection)
    return COLLECTOR.latest


async def check_timescaledb_jobs(state: State) -> None:
    """A job failing or behind leaves the worker degraded, never unready (Degraded says why)."""
    try:
        report = await refresh_timescaledb_jobs(state)
    except asyncpg.PostgresError as exc:  # the database answers (its check passed): not ours
        raise Degraded(f"could not read TimescaleDB's jobs: {exc}") from exc
    if troubles := report.troubles():
        named = [job.job_id for job in report.jobs if job.trouble() is not None]
        raise Degraded("; ".join(troubles), jobs=named)


@get("/metrics", include_in_schema=False, guards=[require_ops_token])
async def metrics(state: State) -> Response[bytes]:
    """Prometheus exposition: this process's counters, the queue's and TimescaleDB's jobs."""
    down = {o.dependency: time.time() - o.since for o in BOARD.current()}
    for dependency in (DATABASE, QUEUE_REDIS):
        DEPENDENCY_DOWN.labels(dependency).set(down.get(dependency, 0.0))
    try:
        async with state.redis.pipeline(transaction=False) as pipe:
            pipe.llen(QUEUE_KEY).zcard(FAILED_KEY).zcard(SCHEDULED_KEY)
            depth, failed, scheduled = await pipe.execute()
    except RedisError:
        pass  # the process's own counters are still worth a scrape; /ready reports Redis
    else:
        counters.QUEUE_DEPTH.labels(QUEUE_NAME).set(depth)
        counters.QUEUE_FAILED.labels(QUEUE_NAME).set(failed)
        counters.QUEUE_SCHEDULED.labels(QUEUE_NAME).set(scheduled)
    try:
        await asyncio.wait_for(refresh_timescaledb_jobs(state), CHECK_TIMEOUT_S)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
        COLLECTOR.latest = None  # no stale figures: the jobs' series go missing; /ready says why
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def create_health_app(settings: Settings) -> Litestar:
    ops_token(settings)  # a too-short one is refused at start, not at the first scrape

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # min_size 0: the probe must start even while PostgreSQL is down, and then say so.
        app.state.db = await create_pool(settings, SERVICE, min_size=0, max_size=1)
        app.state.redis = async_redis(settings)
        try:
            yield
        finally:
            await app.state.redis.aclose()
            await app.state.db.close()

    return Litestar(
        route_handlers=[
            health_router(
                {
                    DATABASE: check_database,
                    QUEUE_REDIS: check_redis,
                    "timescaledb_jobs": check_timescaledb_jobs,  # after database: it needs it
                }
            ),
            metrics,
        ],
        lifespan=[lifespan],
        exception_handlers=EXCEPTION_HANDLERS,
        state=State({"settings": settings}),
    )


def serve_in_thread(settings: Settings, host: str, port: int) -> threading.Thread:
    config = uvicorn.Config(create_health_app(settings), host=host, port=port, log_level="warning")
    thread = threading.Thread(target=uvicorn.Server(config).run, name="health", daemon=True)
    thread.start()
    return thread
