"""The bench's own world: a private Redis, a fresh `vitals_bench` database, one project and
its key. Nothing the developer's `make run` data lives in is touched, and all of it is
removed on exit.

The private Redis is configured like production's queue Redis (AOF everysec, noeviction,
what ingest's readiness check demands), so every 202 pays the same persistence cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
import redis.asyncio

from services.cli import catalog
from services.cli.migrations import migrate
from services.contracts import key_registry
from services.contracts.keys import MARKER_KEY, REGISTRY_KEY, encode_access
from services.contracts.settings import Settings
from services.workers.rollups import FAMILIES, WIDTHS
from tests.support.ops import OPS_TOKEN
from tests.support.processes import RedisServer

DATABASE = "vitals_bench"
PROJECT_SLUG = "bench"
# Far above any rate the bench sends: the limiter still runs (its INCRBY is part of the
# cost of a beacon) but never refuses.
RATE_LIMIT_PER_MINUTE = 1_000_000_000
# Ingest-alone runs never drain the queue: the 503 bound must not trigger there. Jobs are
# deleted between runs, so Redis memory stays bounded by one run's worth.
UNBOUNDED_QUEUE = 10_000_000

ROLLUP_TABLES = [f"{f.stem}_{suffix}" for f in FAMILIES for suffix, _ in WIDTHS]
# vitals_release_routes: the release comparison's rollup (migration 0016), without time.
TRUNCATE_DATA = (
    f"TRUNCATE vitals, pages, {', '.join(ROLLUP_TABLES)}, vitals_release_routes RESTART IDENTITY"
)


def with_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + (("?" + query) if query else "")


@dataclass(frozen=True)
class Bench:
    settings: Settings  # what the services under test are started with
    key: str
    project_id: int


class BenchEnvironment:
    def __init__(self) -> None:
        self._redis = RedisServer()
        base = Settings.from_env()
        self._admin_url = with_database(base.database_url, "postgres")
        self._bench: Bench | None = None
        self._base = base

    @property
    def bench(self) -> Bench:
        assert self._bench is not None, "start() first"
        return self._bench

    @property
    def redis_pid(self) -> int:
        assert self._redis.process is not None
        return self._redis.process.pid

    async def start(self) -> Bench:
        self._redis.start()
        database_url = with_database(self._base.database_url, DATABASE)
        await self._create_database()
        connection = await asyncpg.connect(database_url)
        try:
            await migrate(connection)
            project = await catalog.create_project(
                connection,
                slug=PROJECT_SLUG,
                name="Ingest benchmark",
                allowed_origins=[],
                rate_limit_per_minute=RATE_LIMIT_PER_MINUTE,
                filter_bots=True,  # the default: the bot check stays on the measured path
            )
            key = await catalog.create_key(connection, project.id, "bench")
        finally:
            await connection.close()
        settings = Settings(
            database_url=database_url,
            redis_url=self._redis.url,
            jwt_secret=self._base.jwt_secret,
            # Per-batch info lines would go to a log file nobody reads; warnings still show.
            log_level="warning",
            max_queue_depth=UNBOUNDED_QUEUE,
            ops_token=OPS_TOKEN,  # together.py reads ingest's /metrics
        )
        self._bench = Bench(settings=settings, key=key, project_id=project.id)
        await self.reset_queue()
        return self._bench

    async def reset_queue(self) -> None:
        """Empty Redis (queue, registries, rate counters) but for a complete key registry.

        One MULTI, so no ingest process ever sees Redis without the registry: between a
        FLUSHALL and a separate rebuild it would answer 503 (and used to cache "unknown
        key" and answer 403 for seconds).
        """
        client = redis.asyncio.Redis.from_url(self.bench.settings.redis_url)
        connection = await asyncpg.connect(self.bench.settings.database_url)
        try:
            access = await key_registry.active_key_access(connection)
            async with client.pipeline(transaction=True) as pipe:
                pipe.flushall()
                pipe.hset(REGISTRY_KEY, mapping={h: encode_access(a) for h, a in access.items()})
                pipe.set(MARKER_KEY, "bench")
                await pipe.execute()
        finally:
            await connection.close()
            await client.aclose()

    async def reset_data(self) -> None:
        """Empty the stored rows, so every run inserts new keys as live traffic does."""
        connection = await asyncpg.connect(self.bench.settings.database_url)
        try:
            await connection.execute(TRUNCATE_DATA)
        finally:
            await connection.close()

    async def close(self) -> None:
        self._redis.cleanup()
        await self._drop_database()

    async def _create_database(self) -> None:
        await self._drop_database()
        admin = await asyncpg.connect(self._admin_url)
        try:
            await admin.execute(f'CREATE DATABASE "{DATABASE}"')
        finally:
            await admin.close()

    async def _drop_database(self) -> None:
        admin = await asyncpg.connect(self._admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        finally:
            await admin.close()
