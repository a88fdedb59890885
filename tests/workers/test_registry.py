"""The workers rebuild a missing key registry from the database; until then ingest answers
503 for a key it cannot check (never 403), and its /ready says why."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import redis.asyncio

from services.cli import catalog
from services.contracts import key_registry
from services.contracts.database import create_pool
from services.contracts.keys import MARKER_KEY, REGISTRY_KEY
from services.contracts.settings import Settings
from services.workers.registry import RegistryKeeper, heal
from tests.ingest.conftest import beacon, ingest_client, post_beacon, with_settings
from tests.workers.factories import create_project

CACHE_TTL_S = 0.2
OPS_TOKEN = "ops-token-for-the-registry-tests"
OPS = {"Authorization": f"Bearer {OPS_TOKEN}"}


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    workers_pool = await create_pool(settings, "test.registry", min_size=0, max_size=1)
    try:
        yield workers_pool
    finally:
        await workers_pool.close()


@pytest.fixture
async def ingest(settings: Settings, redis_client: redis.asyncio.Redis) -> AsyncIterator[Any]:
    tuned = with_settings(settings, key_cache_ttl_s=CACHE_TTL_S, ops_token=OPS_TOKEN)
    async with ingest_client(tuned) as client:
        yield client


async def issue_key(db: asyncpg.Connection, slug: str = "shop") -> str:
    return await catalog.create_key(db, await create_project(db, slug), "test")


class TestHeal:
    async def test_missing_registry_is_503_with_a_reason_then_rebuilt(
        self,
        ingest: Any,
        db: asyncpg.Connection,
        pool: asyncpg.Pool,
        redis_client: redis.asyncio.Redis,
    ) -> None:
        """With registry and marker gone a valid key gets 503 registry_unavailable and /ready names the registry; after heal the same beacon gets 202."""
        key = await issue_key(db)
        assert not await redis_client.exists(REGISTRY_KEY, MARKER_KEY)
        refused = await post_beacon(ingest, key, beacon("minimal"))
        assert refused.status_code == 503
        assert refused.json()["error"] == "registry_unavailable"
        assert refused.headers["retry-after"]
        ready = await ingest.get("/ready", headers=OPS)
        assert ready.status_code == 503
        assert ready.json()["failing"] == "key_registry"
        assert "missing" in ready.json()["reason"]
        assert await heal(redis_client, pool) == 1
        assert (await post_beacon(ingest, key, beacon("minimal"))).status_code == 202
        assert (await ingest.get("/ready", headers=OPS)).status_code == 200

    async def test_present_registry_is_left_alone(
        self, db: asyncpg.Connection, pool: asyncpg.Pool, redis_client: redis.asyncio.Redis
    ) -> None:
        """With the marker present, heal changes nothing, even an empty registry."""
        await issue_key(db)
        await key_registry.rebuild(redis_client, dict_of_nothing)
        assert await heal(redis_client, pool) is None
        assert not await redis_client.exists(REGISTRY_KEY)

    async def test_unknown_key_with_the_registry_built_is_403(
        self,
        ingest: Any,
        db: asyncpg.Connection,
        pool: asyncpg.Pool,
        redis_client: redis.asyncio.Redis,
    ) -> None:
        """Once the registry is built, a key the database does not know is refused with 403."""
        await issue_key(db)
        await heal(redis_client, pool)
        response = await post_beacon(ingest, "vk_never-issued", beacon("minimal"))
        assert response.status_code == 403
        assert response.json()["error"] == "forbidden"

    async def test_revoked_key_stops_working_within_the_cache_ttl(
        self,
        ingest: Any,
        db: asyncpg.Connection,
        pool: asyncpg.Pool,
        redis_client: redis.asyncio.Redis,
    ) -> None:
        """A key revoked as `vitals key revoke` does is refused with 403 once ingest's cache entry expires."""
        key = await issue_key(db)
        await heal(redis_client, pool)
        assert (await post_beacon(ingest, key, beacon("minimal"))).status_code == 202
        await key_registry.withdraw(redis_client, await catalog.revoke_key(db, key))
        await asyncio.sleep(CACHE_TTL_S + 0.05)
        assert (await post_beacon(ingest, key, beacon("minimal"))).status_code == 403

    async def test_workers_build_what_keys_sync_builds(
        self, db: asyncpg.Connection, pool: asyncpg.Pool, redis_client: redis.asyncio.Redis
    ) -> None:
        """The workers' rebuild and `vitals keys sync` produce the same registry: active keys only, every project."""
        await issue_key(db, "shop")
        await issue_key(db, "blog")
        await catalog.revoke_key(db, await issue_key(db, "gone"))
        await heal(redis_client, pool)
        by_workers = await redis_client.hgetall(REGISTRY_KEY)
        await key_registry.rebuild(redis_client, lambda: key_registry.active_key_access(db))
        assert await redis_client.hgetall(REGISTRY_KEY) == by_workers
        assert len(by_workers) == 2


class TestRegistryKeeper:
    async def test_keeper_thread_rebuilds_a_registry_lost_while_it_runs(
        self,
        ingest: Any,
        settings: Settings,
        db: asyncpg.Connection,
        redis_client: redis.asyncio.Redis,
    ) -> None:
        """The worker's keeper builds the registry at start and again within its interval after Redis loses it."""
        key = await issue_key(db)
        keeper = RegistryKeeper(settings, interval_s=0.1)
        keeper.start()
        try:
            await eventually(lambda: redis_client.exists(MARKER_KEY))
            await redis_client.flushdb()
            await eventually(lambda: redis_client.exists(MARKER_KEY))
        finally:
            keeper.stop()
        assert (await post_beacon(ingest, key, beacon("minimal"))).status_code == 202


async def dict_of_nothing() -> dict[str, Any]:
    return {}


async def eventually(check: Any, timeout_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)
