"""Fixtures for the read path: seeded data, a cache Redis of the suite's own, the app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
import redis.asyncio
from litestar.testing import AsyncTestClient

from services.contracts.settings import Settings
from services.contracts.tokens import mint_token
from services.query.app import create_app
from tests.query.seeding import ROLLUP_TABLES, Seeder
from tests.support.processes import RedisServer


@pytest.fixture(scope="session")
def cache_server() -> Iterator[RedisServer]:
    """A cache Redis for these tests alone, so no other suite's flush races them."""
    server = RedisServer(appendonly=False, policy="allkeys-lru").start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture(autouse=True)
async def cache(cache_server: RedisServer) -> AsyncIterator[redis.asyncio.Redis]:
    """The cache Redis, flushed before every test: project ids restart with each test."""
    client = redis.asyncio.Redis.from_url(cache_server.url)
    await client.flushdb()
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def query_settings(settings: Settings, cache_server: RedisServer) -> Settings:
    return Settings(
        database_url=settings.database_url,
        redis_url=settings.redis_url,
        cache_redis_url=cache_server.url,
        jwt_secret=settings.jwt_secret,
        ops_token=settings.ops_token,
    )


@pytest.fixture
async def seed(db: asyncpg.Connection) -> Seeder:
    """Writes test rows; the rollups start empty too."""
    await db.execute(f"TRUNCATE {', '.join(ROLLUP_TABLES)}")
    return Seeder(db)


@pytest.fixture
async def client(
    query_settings: Settings, cache: redis.asyncio.Redis
) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    """The real query app, with its lifespan (database pool, cache client) running."""
    async with AsyncTestClient(create_app(query_settings)) as test_client:
        yield test_client


def bearer(settings: Settings, projects: list[int], lifetime_s: int = 600) -> dict[str, str]:
    token = mint_token(
        settings, subject="tester@example.com", projects=projects, lifetime_s=lifetime_s
    )
    return {"Authorization": f"Bearer {token}"}
