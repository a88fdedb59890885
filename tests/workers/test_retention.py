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
from services.workers.retention import RETENTION_DUE, Retention, apply_retention, enqueue_if_due
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
        assert dropped == {name: 0 for name in ("vitals", *ROLLUPS)}
        assert await counts(db) == (1, 1, 1)


class TestScheduling:
    async def test_enqueued_at_most_once_per_interval(
        self, settings: Settings, redis_client: redis.asyncio.Redis
    ) -> None:
        """However many workers run maintenance, the retention job is enqueued once until the hour has passed."""
        connection = sync_redis(settings)
        assert [enqueue_if_due(connection) for _ in range(3)] == [True, False, False]
        jobs = Queue(QUEUE_NAME, connection=connection, serializer=JSONSerializer).get_jobs()
        assert [job.func_name for job in jobs] == [RETENTION_DUE]
