"""Parked beacons, through a real worker (in-process, burst) on the test Redis and database:
each guilty beacon is its own job in the failed registry, and retrying it never loops."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest
import redis.asyncio
from rq.job import Job
from rq.serializers import JSONSerializer

from services.cli.jobs import failed_registry, list_failed, retry_failed
from services.contracts.queue import BEACON_PARKED, QUEUE_NAME
from services.contracts.redis_client import sync_redis
from services.contracts.settings import Settings
from services.workers import counters, runtime
from services.workers.alerts.schedule import KEYS as ALERT_KEYS
from services.workers.batches import Parked
from services.workers.parking import park
from services.workers.retention import DUE_KEY
from services.workers.worker import VitalsWorker
from tests.workers.factories import batch, create_project, enqueue_like_ingest, page_view, payload
from tests.workers.test_batches import poisoned

REASON = "CharacterNotInRepertoireError"


@pytest.fixture
def worker_runtime(settings: Settings) -> Iterator[None]:
    runtime.install(settings)
    try:
        yield
    finally:
        runtime.current().close()


@pytest.fixture
async def projects(db: asyncpg.Connection, redis_client: redis.asyncio.Redis) -> tuple[int, int]:
    """Two projects on an emptied database and flushed Redis (retention kept out of the way)."""
    await redis_client.set(DUE_KEY, 1, ex=3600)
    for alert_key in ALERT_KEYS:  # the alert jobs too (alerts/schedule.py)
        await redis_client.set(alert_key, 1, ex=3600)
    return await create_project(db, "shop"), await create_project(db, "blog")


def work(settings: Settings) -> None:
    """Run the queue dry with the real worker class, in this thread."""
    connection = sync_redis(settings)
    VitalsWorker([QUEUE_NAME], connection=connection, serializer=JSONSerializer).work(burst=True)


def stored_rows(settings: Settings) -> int:
    async def count() -> int:
        connection = await asyncpg.connect(settings.database_url)
        try:
            return int(await connection.fetchval("SELECT count(*) FROM vitals"))
        finally:
            await connection.close()

    return asyncio.run(count())


def parked_reports(reason: str) -> float:
    return float(counters.REPORTS.labels("parked", reason)._value.get())


@pytest.mark.usefixtures("worker_runtime")
class TestParking:
    def test_guilty_beacon_is_parked_alone_with_its_project_and_reason(
        self, settings: Settings, projects: tuple[int, int]
    ) -> None:
        """A group job holding another project's guilty beacon succeeds; the failed registry holds that beacon alone, listed with its project and reason, and /metrics counts it."""
        shop, blog = projects
        guilty = poisoned(page_view(blog))
        before = parked_reports(REASON)
        job = enqueue_like_ingest(
            settings, payload(batch(page_view(shop), guilty, page_view(shop, lcp=3000)))
        )
        work(settings)
        (listed,) = list_failed(sync_redis(settings))  # the group job itself succeeded
        assert listed.id != job.id
        assert (listed.function, listed.beacons, listed.projects, listed.reason) == (
            BEACON_PARKED,
            1,
            [blog],
            REASON,
        )
        assert listed.error.startswith(f"GuiltyBeacon: {REASON}: ")
        assert stored_rows(settings) == 10
        assert parked_reports(REASON) == before + 5

    def test_retrying_a_beacon_still_guilty_fails_once_and_parks_it_again(
        self, settings: Settings, projects: tuple[int, int]
    ) -> None:
        """`retry-failed` runs a parked beacon once: it fails at once (no retries) and is back in the registry under the same id, however often the operator retries."""
        shop, blog = projects
        enqueue_like_ingest(settings, payload(batch(page_view(shop), poisoned(page_view(blog)))))
        work(settings)
        (parked,) = failed_registry(sync_redis(settings)).get_job_ids()
        for _ in range(2):
            assert retry_failed(sync_redis(settings)) == [parked]
            work(settings)  # returns: burst mode ends when the queue is empty
            assert failed_registry(sync_redis(settings)).get_job_ids() == [parked]
        (listed,) = list_failed(sync_redis(settings))
        assert (listed.reason, listed.projects) == (REASON, [blog])
        assert REASON in listed.error
        assert stored_rows(settings) == 5

    def test_retrying_a_beacon_that_became_storable_stores_it(
        self, settings: Settings, projects: tuple[int, int]
    ) -> None:
        """A beacon parked by an older version that this one can store is stored by `retry-failed`, and leaves the registry."""
        shop, _ = projects
        connection = sync_redis(settings)
        (job_id,) = park(connection, [Parked(page_view(shop), "InvalidUrl", "fixed since")])
        assert Job.fetch(job_id, connection, serializer=JSONSerializer).meta["project_id"] == shop
        assert retry_failed(connection) == [job_id]
        work(settings)
        assert failed_registry(connection).get_job_ids() == []
        assert stored_rows(settings) == 5
