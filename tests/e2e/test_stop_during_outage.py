"""A worker asked to stop while its job waits out a PostgreSQL outage, and what it reports.

A worker that meets an outage keeps its job and waits (services/workers/waiting.py).
SIGTERM during that wait must not turn the outage into the job's failure: the job goes
back to the front of the queue with its retries intact, and the next worker stores it
once. Meanwhile /ready and /metrics name the dependency that is down, and clear when it
is back. PostgreSQL is a private cluster (tests/support/postgres.py) the test stops.
"""

from __future__ import annotations

import time

import asyncpg
import httpx
import msgspec
from rq.utils import as_text

from services.contracts.queue import RETRY_INTERVALS_S
from services.contracts.redis_client import sync_redis
from services.contracts.settings import Settings
from tests.e2e.stack import (
    QUEUE_KEY,
    drain,
    eventually,
    fetch_job,
    queue_state,
    running_job_ids,
    scrape,
    worker_outcomes,
)
from tests.support.ops import OPS_HEADERS
from tests.support.postgres import PostgresServer
from tests.support.processes import ServiceProcess, worker_service
from tests.workers.conftest import assert_rollups_exact
from tests.workers.factories import batch, create_project, enqueue_like_ingest, page_view, payload

LIVENESS_S = 60.0
DOWN_GAUGE = "vitals_worker_dependency_down_seconds"


def ready(worker: ServiceProcess) -> tuple[int, dict[str, object]]:
    answer = httpx.get(worker.url + "/ready", headers=OPS_HEADERS, timeout=5)
    return answer.status_code, answer.json()


def down_seconds(worker: ServiceProcess) -> dict[str, float]:
    return {
        dict(labels)["dependency"]: value
        for (name, labels), value in scrape(worker).items()
        if name == DOWN_GAUGE
    }


def waiting_on_database(worker: ServiceProcess) -> bool:
    status, body = ready(worker)
    return (
        status == 503
        and body.get("failing") == "database"
        and str(body.get("reason", "")).startswith("database unavailable since")
    )


def start_worker(settings: Settings, role: str) -> ServiceProcess:
    worker = worker_service(settings, "--name", role)
    worker.wait_healthy()
    return worker


class TestStopWhileWaitingOutAnOutage:
    async def test_sigterm_sends_the_waiting_job_back_with_its_retries_and_ready_names_the_database(
        self, stack_settings: Settings, private_postgres: PostgresServer
    ) -> None:
        """SIGTERM to a worker holding a job through a PostgreSQL outage puts the job back at the front of the queue with its retries intact (nothing failed or scheduled); /ready and the down gauge name the database while it is down and clear once it is back; the next worker stores the job exactly once."""
        url = await private_postgres.create_migrated_database("vitals")
        settings = msgspec.structs.replace(stack_settings, database_url=url)
        db = await asyncpg.connect(url)
        try:
            project = await create_project(db)
        finally:
            await db.close()
        body = payload(batch(*(page_view(project) for _ in range(3))))
        workers: list[ServiceProcess] = []
        try:
            workers.append(first := start_worker(settings, "first"))
            assert down_seconds(first) == {"database": 0.0, "queue_redis": 0.0}
            private_postgres.stop("fast")
            held = enqueue_like_ingest(settings, body)
            await eventually(
                lambda: _true(running_job_ids(settings) == [held.id]), 30, "the worker to take it"
            )
            await eventually(lambda: _true(waiting_on_database(first)), 30, "/ready to say why")
            waited = down_seconds(first)
            assert waited["database"] > 0 and waited["queue_redis"] == 0, waited
            behind = enqueue_like_ingest(settings, payload(batch(page_view(project))))

            stopping = time.monotonic()
            first.stop()
            exited_s = time.monotonic() - stopping
            print(f"\nstop while waiting: worker exited {exited_s:.1f} s after SIGTERM")
            assert first.process.returncode == 0, first.log_path.read_text()[-2000:]
            assert "job_requeued_on_stop" in first.log_path.read_text()
            state = await queue_state(settings)
            assert (state.started, state.scheduled, state.failed) == (0, 0, 0), state
            queued = [as_text(i) for i in sync_redis(settings).lrange(QUEUE_KEY, 0, -1)]
            assert queued == [held.id, behind.id], "the held job is not back at the front"
            requeued = fetch_job(settings, held.id)
            assert requeued is not None
            assert requeued.retries_left == len(RETRY_INTERVALS_S), requeued.retries_left

            # The next worker starts during the outage, takes the job and waits in turn.
            workers.append(second := start_worker(settings, "second"))
            await eventually(lambda: _true(waiting_on_database(second)), 30, "/ready to say why")
            private_postgres.start()
            back = time.monotonic()
            await drain(settings, timeout_s=LIVENESS_S)
            print(f"stop while waiting: drained {time.monotonic() - back:.1f} s after restart")

            async def cleared() -> bool:
                return ready(second)[0] == 200

            await eventually(cleared, 30, "/ready to clear")
            assert down_seconds(second) == {"database": 0.0, "queue_redis": 0.0}
            assert worker_outcomes([second]) == {
                "stored": 20, "replaced": 0, "duplicate": 0, "dropped": 0, "failed": 0
            }  # fmt: skip
            after = await asyncpg.connect(url)
            try:
                assert await after.fetchval("SELECT count(*) FROM vitals") == 20
                await assert_rollups_exact(after)
            finally:
                await after.close()
        finally:
            for worker in workers:
                worker.stop()


async def _true(value: bool) -> bool:
    return value
