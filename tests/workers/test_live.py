"""Live events: one LiveBatch per project, appended to the live stream after commit."""

from __future__ import annotations

from typing import cast

import asyncpg
import msgspec
import pytest
import redis
import redis.asyncio

from services.contracts.live import (
    LIVE_PAGE_VIEWS_MAX,
    LIVE_STREAM,
    LIVE_STREAM_FIELD,
    LiveBatch,
    decode_batch,
)
from services.contracts.metrics import Metric, bin_of
from services.contracts.settings import Settings
from services.workers import counters, jobs, runtime
from services.workers.batches import process_batch
from services.workers.live import LivePublisher, live_batches
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


def appended(settings: Settings) -> list[LiveBatch]:
    """Every LiveBatch on the live stream of the test Redis, in stream order."""
    client = redis.Redis.from_url(settings.redis_url)
    try:
        entries = cast(list[tuple[bytes, dict[bytes, bytes]]], client.xrange(LIVE_STREAM))
    finally:
        client.close()
    return [decode_batch(fields[LIVE_STREAM_FIELD.encode()]) for _, fields in entries]


class TestLiveBatches:
    async def test_counts_bins_and_page_views_per_project(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """A batch spanning two projects yields one event each, with per-metric counts, bin deltas and its page views."""
        shop, blog = await create_project(db, "shop"), await create_project(db, "blog")
        outcome = await process_batch(
            pool,
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
            outcome = await process_batch(pool, ProjectDirectory(), b)
        (event,) = live_batches(outcome)
        assert event.counts == {"CLS": 1}
        assert event.bins == {"CLS": {bin_of(Metric.CLS, 0.05): -1, bin_of(Metric.CLS, 0.3): 1}}

    async def test_duplicates_publish_nothing(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """A re-run batch that changed nothing produces no event."""
        project = await create_project(db)
        b = batch(page_view(project))
        await process_batch(pool, ProjectDirectory(), b)
        again = await process_batch(pool, ProjectDirectory(), b)
        assert live_batches(again) == []

    async def test_page_views_are_the_newest_oldest_first(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """A large batch's event lists its newest LIVE_PAGE_VIEWS_MAX page views in arrival order, while its counts cover every report."""
        project = await create_project(db)
        total = LIVE_PAGE_VIEWS_MAX + 10
        received = now_ms() - 10_000
        views = [
            msgspec.structs.replace(page_view(project, lcp=1000 + i), received_at=received + i)
            for i in range(total)
        ]
        # Listed newest first, so only sorting by arrival can put them in order.
        outcome = await process_batch(pool, ProjectDirectory(), batch(*reversed(views)))
        (event,) = live_batches(outcome)
        assert event.counts["LCP"] == total
        lcps = [v.value for pv in event.page_views for v in pv.values if v.metric == "LCP"]
        assert lcps == [1000 + i for i in range(total - LIVE_PAGE_VIEWS_MAX, total)]


class TestPublish:
    def test_job_appends_to_the_live_stream(
        self, settings: Settings, project: int, redis_client: redis.asyncio.Redis
    ) -> None:
        """After the batch commits, the job appends the project's LiveBatch to the live stream."""
        runtime.install(settings)
        try:
            jobs.beacons_received(payload(batch(page_view(project), page_view(project))))
        finally:
            runtime.current().close()
        (event,) = appended(settings)
        assert event.project_id == project
        assert event.counts == {"LCP": 2, "INP": 2, "CLS": 2, "FCP": 2, "TTFB": 2}
        assert event.bins["LCP"] == {bin_of(Metric.LCP, 2100): 2}
        assert len(event.page_views) == 2

    def test_unreachable_redis_does_not_fail_the_publish(self, settings: Settings) -> None:
        """With Redis unreachable the publish gives up quietly and counts the loss; the caller goes on."""
        unreachable = msgspec.structs.replace(
            settings, redis_url="redis://127.0.0.1:1/0", redis_timeout_s=0.2
        )
        before = counters.LIVE_PUBLISH_FAILURES._value.get()
        event = LiveBatch(project_id=1, counts={"LCP": 1}, bins={}, page_views=[])
        LivePublisher(unreachable).publish([event, event])
        assert counters.LIVE_PUBLISH_FAILURES._value.get() == before + 2


@pytest.fixture
async def project(db: asyncpg.Connection) -> int:
    return await create_project(db)
