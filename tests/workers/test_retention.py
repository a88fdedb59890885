"""Retention: chunks past their age are dropped, per relation; recent data stays."""

from __future__ import annotations

import asyncpg
import redis.asyncio
from rq import Queue
from rq.serializers import JSONSerializer

from services.contracts.queue import QUEUE_NAME
from services.contracts.redis_client import sync_redis
from services.contracts.settings import Settings
from services.workers.batches import process_batch
from services.workers.projects import ProjectDirectory
from services.workers.retention import (
    RELEASES,
    RETENTION_DUE,
    Retention,
    apply_retention,
    enqueue_if_due,
)
from tests.query.seeding import ROLLUPS
from tests.workers.factories import accepted, batch, beacon, create_project, now_ms, report

DAY_MS = 86_400_000


async def counts(db: asyncpg.Connection) -> tuple[int, int, int]:
    row = await db.fetchrow(
        "SELECT (SELECT count(*) FROM vitals), (SELECT count(*) FROM vitals_hourly), (SELECT count(*) FROM vitals_daily)"
    )
    assert row is not None
    return (row[0], row[1], row[2])


async def samples_per_rollup(db: asyncpg.Connection) -> dict[str, int]:
    return {
        name: await db.fetchval(f"SELECT coalesce(sum(samples), 0) FROM {name}") for name in ROLLUPS
    }


async def release_names(db: asyncpg.Connection) -> tuple[list[str], list[str]]:
    """The releases list's names, and the release rollup's."""
    listed = await db.fetch("SELECT name FROM releases ORDER BY 1")
    rolled = await db.fetch("SELECT DISTINCT release FROM vitals_release_routes ORDER BY 1")
    return [r[0] for r in listed], [r[0] for r in rolled]


class TestApplyRetention:
    async def test_old_chunks_are_dropped_per_relation(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """With raw kept 35 days, hourly 40 and daily 400, a 60-day-old page view leaves raw and every hourly rollup but stays in every daily one; today's stays everywhere."""
        project = await create_project(db)
        old, recent = now_ms() - 60 * DAY_MS, now_ms() - 60_000
        b = batch(
            accepted(
                project, beacon(report("LCP", 1000), time_origin=old), received_at=old + 5_000
            ),
            accepted(
                project, beacon(report("LCP", 1000), time_origin=recent), received_at=recent + 5_000
            ),
        )
        await process_batch(pool, ProjectDirectory(), b)
        assert await counts(db) == (2, 2, 2)
        dropped = await apply_retention(db, Retention(raw_days=35, hourly_days=40, daily_days=400))
        assert (
            dropped["vitals"] >= 1
            and dropped["vitals_hourly"] >= 1
            and dropped["vitals_daily"] == 0
        )
        assert await counts(db) == (1, 1, 2)
        kept = await samples_per_rollup(db)
        assert kept == {name: 2 if name.endswith("_daily") else 1 for name in ROLLUPS}
        assert (
            await db.fetchval("SELECT count(*) FROM vitals WHERE time > now() - INTERVAL '1 day'")
            == 1
        )

    async def test_nothing_young_is_dropped(
        self, pool: asyncpg.Pool, db: asyncpg.Connection, settings: Settings
    ) -> None:
        """With the default ages, a batch from the last hour loses nothing."""
        project = await create_project(db)
        await process_batch(
            pool,
            ProjectDirectory(),
            batch(accepted(project, beacon(report("CLS", 0.1)))),
        )
        dropped = await apply_retention(db, Retention.from_settings(settings))
        assert dropped == {name: 0 for name in ("vitals", *ROLLUPS, RELEASES)}
        assert await counts(db) == (1, 1, 1)

    async def test_a_release_past_the_daily_age_expires_with_its_rollup_rows(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """The release rollup has no chunks: a release last seen 60 days ago leaves it and the releases list at a daily age of 30 days; one seen today stays."""
        project = await create_project(db)
        old, recent = now_ms() - 60 * DAY_MS, now_ms() - 60_000
        b = batch(
            accepted(
                project,
                beacon(report("LCP", 1000), time_origin=old, release="v1"),
                received_at=old + 5_000,
            ),
            accepted(
                project,
                beacon(report("LCP", 1000), time_origin=recent, release="v2"),
                received_at=recent + 5_000,
            ),
        )
        await process_batch(pool, ProjectDirectory(), b)
        assert await release_names(db) == (["v1", "v2"], ["v1", "v2"])
        dropped = await apply_retention(db, Retention(raw_days=35, hourly_days=40, daily_days=30))
        assert dropped[RELEASES] == 1
        assert await release_names(db) == (["v2"], ["v2"])


class TestScheduling:
    async def test_enqueued_at_most_once_per_interval(
        self, settings: Settings, redis_client: redis.asyncio.Redis
    ) -> None:
        """However many workers run maintenance, the retention job is enqueued once until the hour has passed."""
        connection = sync_redis(settings)
        assert [enqueue_if_due(connection) for _ in range(3)] == [True, False, False]
        jobs = Queue(QUEUE_NAME, connection=connection, serializer=JSONSerializer).get_jobs()
        assert [job.func_name for job in jobs] == [RETENTION_DUE]
