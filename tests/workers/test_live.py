"""Live events: one LiveBatch per project, published through socket.io's Redis manager."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import asyncpg
import msgspec
import pytest
import redis
import redis.asyncio

from services.contracts.live import SOCKETIO_CHANNEL, VITALS_EVENT, LiveBatch, project_room
from services.contracts.metrics import Metric, bin_of
from services.contracts.settings import Settings
from services.workers import counters, jobs, runtime
from services.workers.batches import process_batch
from services.workers.edition import Edition
from services.workers.live import MAX_PAGE_VIEWS, LivePublisher, live_batches
from services.workers.projects import ProjectDirectory
from tests.workers.factories import (
    accepted,
    batch,
    beacon,
    create_project,
    now_ms,
    page_view,
    payload,
    report,
)


@pytest.fixture
def channel(settings: Settings, redis_client: redis.asyncio.Redis) -> Iterator[redis.client.PubSub]:
    """A subscriber on the socket.io channel of the test Redis."""
    pubsub = redis.Redis.from_url(settings.redis_url).pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(SOCKETIO_CHANNEL)
    try:
        yield pubsub
    finally:
        pubsub.close()


def emitted(pubsub: redis.client.PubSub, timeout_s: float = 5.0) -> dict[str, object]:
    """The next socket.io manager message on the channel (python-socketio sends JSON)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        # None also stands for the (ignored) subscribe confirmation: keep reading.
        message = pubsub.get_message(timeout=deadline - time.monotonic())
        if message is not None:
            decoded: dict[str, object] = json.loads(message["data"])
            return decoded
    raise AssertionError("nothing was published")


class TestLiveBatches:
    async def test_counts_bins_and_page_views_per_project(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """A batch spanning two projects yields one event each, with per-metric counts, bin deltas and its page views."""
        shop, blog = await create_project(db, "shop"), await create_project(db, "blog")
        outcome = await process_batch(
            pool,
            Edition.APACHE,
            ProjectDirectory(),
            batch(page_view(shop), page_view(shop, lcp=5000), page_view(blog)),
        )
        events = {e.project_id: e for e in live_batches(outcome)}
        assert set(events) == {shop, blog}
        assert events[shop].counts == {"LCP": 2, "INP": 2, "CLS": 2, "FCP": 2, "TTFB": 2}
        assert events[shop].bins["LCP"] == {
            bin_of(Metric.LCP, 2100): 1,
            bin_of(Metric.LCP, 5000): 1,
        }
        assert len(events[shop].page_views) == 2
        assert len(events[blog].page_views) == 1
        view = events[blog].page_views[0]
        assert (view.route, view.device, view.country) == ("/products/:id", "desktop", "DE")
        assert [(v.metric, v.rating) for v in view.values][:2] == [
            ("LCP", "good"),
            ("INP", "good"),
        ]

    async def test_replacement_moves_a_sample_between_bins(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """A CLS re-report's event counts it once and carries -1 for the old bin, +1 for the new."""
        project = await create_project(db)
        origin = now_ms() - 60_000
        for value, received in ((0.05, origin + 1), (0.3, origin + 2)):
            b = batch(
                accepted(
                    project,
                    beacon(report("CLS", value, "cls-1"), time_origin=origin),
                    received_at=received,
                )
            )
            outcome = await process_batch(pool, Edition.APACHE, ProjectDirectory(), b)
        (event,) = live_batches(outcome)
        assert event.counts == {"CLS": 1}
        assert event.bins == {"CLS": {bin_of(Metric.CLS, 0.05): -1, bin_of(Metric.CLS, 0.3): 1}}

    async def test_duplicates_publish_nothing(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """A re-run batch that changed nothing produces no event."""
        project = await create_project(db)
        b = batch(page_view(project))
        await process_batch(pool, Edition.APACHE, ProjectDirectory(), b)
        again = await process_batch(pool, Edition.APACHE, ProjectDirectory(), b)
        assert live_batches(again) == []

    async def test_page_views_are_bounded(self, pool: asyncpg.Pool, db: asyncpg.Connection) -> None:
        """A large batch's event lists at most MAX_PAGE_VIEWS page views while its counts cover every report."""
        project = await create_project(db)
        views = [page_view(project) for _ in range(MAX_PAGE_VIEWS + 20)]
        outcome = await process_batch(pool, Edition.APACHE, ProjectDirectory(), batch(*views))
        (event,) = live_batches(outcome)
        assert len(event.page_views) == MAX_PAGE_VIEWS
        assert event.counts["LCP"] == MAX_PAGE_VIEWS + 20


class TestPublish:
    def test_job_publishes_to_the_project_room(
        self, settings: Settings, project: int, channel: redis.client.PubSub
    ) -> None:
        """After the batch commits, the job emits the `vitals` event to the project's room in socket.io's message format."""
        runtime.install(settings)
        try:
            jobs.beacons_received(payload(batch(page_view(project))))
        finally:
            runtime.current().close()
        message = emitted(channel)
        assert message["method"] == "emit"
        assert (message["event"], message["room"], message["namespace"]) == (
            VITALS_EVENT,
            project_room(project),
            "/",
        )
        (data,) = message["data"]  # type: ignore[misc]
        event = msgspec.convert(data, LiveBatch, strict=False)
        assert event.project_id == project
        assert event.counts == {"LCP": 1, "INP": 1, "CLS": 1, "FCP": 1, "TTFB": 1}

    def test_unreachable_redis_does_not_fail_the_publish(self, settings: Settings) -> None:
        """With Redis unreachable the publish gives up quietly and counts the loss; the caller goes on."""
        unreachable = msgspec.structs.replace(
            settings, redis_url="redis://127.0.0.1:1/0", redis_timeout_s=0.2
        )
        before = counters.LIVE_PUBLISH_FAILURES._value.get()
        event = LiveBatch(project_id=1, counts={"LCP": 1}, bins={}, page_views=[])
        LivePublisher(unreachable).publish([event])
        assert counters.LIVE_PUBLISH_FAILURES._value.get() == before + 1


@pytest.fixture
async def project(db: asyncpg.Connection) -> int:
    return await create_project(db)
