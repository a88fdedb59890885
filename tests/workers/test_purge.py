"""The purge of a deleted project (services/workers/purge.py), run by its job function
against the real database: every row the project had goes, in batches; no other
project's row does; the project row itself goes once the grace has passed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
import redis.asyncio
from rq.registry import ScheduledJobRegistry

from services.contracts import key_registry as registry
from services.contracts.ingest_keys import insert_key, publish_project
from services.contracts.project_deletion import mark_deleted
from services.contracts.queue import QUEUE_NAME
from services.contracts.redis_client import sync_redis
from services.contracts.settings import Settings
from services.workers import purge, runtime
from tests.workers.factories import batch, create_project, now_ms, page_view, store

DAY_MS = 86_400_000
# Every table holding a project's rows, however added: the purge must cover them all.
TABLES_WITH_PROJECTS = """
SELECT table_name FROM information_schema.columns
WHERE table_schema = 'public' AND column_name = 'project_id'
  AND table_name IN (SELECT table_name FROM information_schema.tables
                     WHERE table_schema = 'public' AND table_type = 'BASE TABLE')
ORDER BY 1
"""


async def rows_of(db: asyncpg.Connection, project_id: int) -> dict[str, int]:
    counts = {}
    for row in await db.fetch(TABLES_WITH_PROJECTS):
        table = row["table_name"]
        counts[table] = await db.fetchval(
            f"SELECT count(*) FROM {table} WHERE project_id = $1", project_id
        )
    return {t: n for t, n in counts.items() if n}


@pytest.fixture
async def two_projects(
    pool: asyncpg.Pool, db: asyncpg.Connection, settings: Settings,
    redis_client: redis.asyncio.Redis, monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[int, int]]:  # fmt: skip
    """shop and blog with page views over three days (several chunks), releases, a deploy,
    a key in the registry, a member and an alert with its history; the workers' runtime on
    the test database; small batches so each table takes several."""
    monkeypatch.setattr(purge, "BATCH_ROWS", 7)
    shop, blog = await create_project(db, "shop"), await create_project(db, "blog")
    for project in (shop, blog):
        views = [
            page_view(project, release=f"v{day}", url=f"https://site.example/p/{n}",
                      time_origin=now_ms() - day * DAY_MS - 60_000)
            for day in range(3) for n in range(4)
        ]  # fmt: skip
        await store(pool, batch(*views))
        await insert_key(db, project, "site")
        await publish_project(db, redis_client, project)
        await db.execute("INSERT INTO deploys (project_id, release) VALUES ($1, 'v2')", project)
        user = await db.fetchval(
            "INSERT INTO users (email, password_hash) VALUES ($1, 'x') RETURNING id",
            f"member{project}@example.com",
        )
        await db.execute("INSERT INTO user_projects (user_id, project_id) VALUES ($1, $2)",
                         user, project)  # fmt: skip
        await db.execute(
            "INSERT INTO alert_events (project_id, transition, details) VALUES ($1, 'test', '{}')",
            project,
        )
    runtime.install(settings)
    try:
        yield shop, blog
    finally:
        await asyncio.to_thread(runtime.current().close)


async def delete(db: asyncpg.Connection, project_id: int) -> None:
    async with db.transaction():
        assert await mark_deleted(db, project_id) is not None


class TestPurge:
    async def test_the_job_purges_every_row_of_the_project_and_no_other(
        self, two_projects: tuple[int, int], db: asyncpg.Connection, settings: Settings,
        redis_client: redis.asyncio.Redis,
    ) -> None:  # fmt: skip
        """Right after the deletion the data goes and the job schedules its last pass;
        past the grace, that pass removes the project row and what hangs on it."""
        shop, blog = two_projects
        blog_before = await rows_of(db, blog)
        shop_before = await rows_of(db, shop)
        assert {"vitals", "pages", "releases", "vitals_route_hourly", "vitals_totals_daily",
                "vitals_release_routes", "deploys", "alert_events"} <= set(shop_before)  # fmt: skip
        await delete(db, shop)

        first = await asyncio.to_thread(purge.project_deleted, shop)
        assert first["purged"] is True and first["finished"] is False
        left = await rows_of(db, shop)
        assert set(left) <= {"ingest_keys", "deploy_tokens", "alert_rules",
                             "alert_destinations"}, left  # fmt: skip
        scheduled = ScheduledJobRegistry(QUEUE_NAME, connection=sync_redis(settings))
        assert len(scheduled.get_job_ids()) == 1  # the last pass, after the grace

        await db.execute("UPDATE projects SET deleted_at = now() - interval '1 hour'")
        last = await asyncio.to_thread(purge.project_deleted, shop)
        assert last["finished"] is True
        assert await rows_of(db, shop) == {}
        assert await db.fetchval("SELECT count(*) FROM projects WHERE id = $1", shop) == 0
        assert await rows_of(db, blog) == blog_before
        keys = await registry.active_key_access(db)
        assert [a.project_id for a in keys.values()] == [blog]
        assert await redis_client.hlen(registry.REGISTRY_KEY) == 1

    async def test_a_live_project_is_never_purged(
        self, two_projects: tuple[int, int], db: asyncpg.Connection
    ) -> None:
        """A job naming a project that was not deleted (a stray or forged job) does nothing."""
        shop, _ = two_projects
        before = await rows_of(db, shop)
        outcome = await asyncio.to_thread(purge.project_deleted, shop)
        assert outcome == {"project_id": shop, "purged": False}
        assert await rows_of(db, shop) == before

    async def test_the_retention_job_sweeps_deleted_projects(
        self, two_projects: tuple[int, int], db: asyncpg.Connection, settings: Settings
    ) -> None:
        """A deletion whose purge was never queued is queued by the hourly sweep."""
        shop, _ = two_projects
        await delete(db, shop)
        assert await asyncio.to_thread(purge.sweep_deleted_projects) == [shop]


class TestDeletedProjectsBeacons:
    async def test_beacons_of_a_deleted_project_are_dropped(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """Once the workers read the project as deleted, its queued beacons are not
        stored (counted as an unknown project), so nothing lands behind the purge."""
        shop = await create_project(db, "shop")
        await delete(db, shop)
        outcome = await store(pool, batch(page_view(shop)))
        assert outcome.dropped["unknown_project"] == 5
        assert await db.fetchval("SELECT count(*) FROM vitals") == 0


class TestCompressedChunks:
    async def test_compressed_raw_chunks_are_purged_too(
        self, two_projects: tuple[int, int], db: asyncpg.Connection, database_edition: str
    ) -> None:
        """The Timescale edition compresses raw chunks after three days: those rows go
        through the hypertable (a segment per project), the other project's stay."""
        if database_edition != "timescale":
            pytest.skip("only the Timescale edition compresses chunks")
        shop, blog = two_projects
        await db.execute("SELECT compress_chunk(c) FROM show_chunks('vitals') AS c")
        blog_rows = await db.fetchval("SELECT count(*) FROM vitals WHERE project_id = $1", blog)
        await delete(db, shop)
        await db.execute("UPDATE projects SET deleted_at = now() - interval '1 hour'")
        assert (await asyncio.to_thread(purge.project_deleted, shop))["finished"] is True
        assert await rows_of(db, shop) == {}
        assert await db.fetchval("SELECT count(*) FROM vitals WHERE project_id = $1", blog) == (
            blog_rows
        )
