"""The key cache answers from memory within its TTL, negative answers briefly too, so neither
real traffic nor a flood of made-up keys costs a Redis call per beacon; and a registry that
is missing from Redis is never mistaken for one that does not know the key."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from services.contracts import key_registry
from services.contracts.key_registry import RegistryMissing
from services.contracts.keys import MARKER_KEY, REGISTRY_KEY, ProjectAccess, key_hash
from services.ingest import access as access_module
from services.ingest.access import KeyCache, origin_allowed
from tests.ingest.conftest import no_keys, publish_key
from tests.support.processes import RedisServer


@pytest.fixture
async def private_client(private_redis: RedisServer) -> AsyncIterator[redis.asyncio.Redis]:
    """A private Redis holding a built, empty key registry."""
    client = redis.asyncio.Redis.from_url(private_redis.url)
    await key_registry.rebuild(client, no_keys)
    try:
        yield client
    finally:
        await client.aclose()


async def hget_calls(client: redis.asyncio.Redis) -> int:
    stats = await client.info("commandstats")
    return int(stats.get("cmdstat_hget", {}).get("calls", 0))


class TestKeyCache:
    async def test_known_key_is_read_once_per_ttl(
        self, private_client: redis.asyncio.Redis
    ) -> None:
        """Many lookups of one key within the TTL cost one HGET, and return its project."""
        key = await publish_key(private_client, project_id=9)
        cache = KeyCache(private_client, ttl_s=60, timeout_s=1)
        before = await hget_calls(private_client)
        for _ in range(20):
            found = await cache.lookup(key)
            assert found is not None and found.project_id == 9
        assert await hget_calls(private_client) - before == 1

    async def test_unknown_key_is_cached_too(self, private_client: redis.asyncio.Redis) -> None:
        """Repeated lookups of a made-up key within a second cost one HGET, not one each."""
        cache = KeyCache(private_client, ttl_s=60, timeout_s=1)
        before = await hget_calls(private_client)
        for _ in range(20):
            assert await cache.lookup("vk_made-up") is None
        assert await hget_calls(private_client) - before == 1

    async def test_concurrent_misses_share_one_read(
        self, private_client: redis.asyncio.Redis
    ) -> None:
        """A burst of lookups of an uncached key waits on a single HGET."""
        key = await publish_key(private_client, project_id=9)
        cache = KeyCache(private_client, ttl_s=60, timeout_s=1)
        before = await hget_calls(private_client)
        found = await asyncio.gather(*(cache.lookup(key) for _ in range(50)))
        assert {a.project_id for a in found if a is not None} == {9}
        assert await hget_calls(private_client) - before == 1

    async def test_entries_expire_after_the_ttl(self, private_client: redis.asyncio.Redis) -> None:
        """After the TTL the registry is read again, so a revocation takes effect."""
        key = await publish_key(private_client, project_id=9)
        cache = KeyCache(private_client, ttl_s=0.1, timeout_s=1)
        assert await cache.lookup(key) is not None
        await private_client.delete("vitals:keys")
        assert await cache.lookup(key) is not None  # still cached
        await asyncio.sleep(0.15)
        assert await cache.lookup(key) is None

    async def test_unknown_key_is_forgotten_sooner_than_a_known_one(
        self, private_client: redis.asyncio.Redis, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An "unknown key" answer lives only NEGATIVE_TTL_S, so a key published just after is soon accepted."""
        monkeypatch.setattr(access_module, "NEGATIVE_TTL_S", 0.1)
        cache = KeyCache(private_client, ttl_s=60, timeout_s=1)
        key = "vk_published-a-moment-later"
        assert await cache.lookup(key) is None
        await key_registry.publish(private_client, {key_hash(key): ProjectAccess(project_id=4)})
        await asyncio.sleep(0.15)
        found = await cache.lookup(key)
        assert found is not None and found.project_id == 4

    async def test_missing_registry_raises_and_is_not_remembered(
        self, private_client: redis.asyncio.Redis
    ) -> None:
        """Without the marker a lookup raises RegistryMissing, and once the registry is rebuilt the same cache accepts the key."""
        key = await publish_key(private_client, project_id=9)
        await private_client.delete(REGISTRY_KEY, MARKER_KEY)
        cache = KeyCache(private_client, ttl_s=60, timeout_s=1)
        for _ in range(2):
            with pytest.raises(RegistryMissing):
                await cache.lookup(key)
        access = {key_hash(key): ProjectAccess(project_id=9)}

        async def database() -> dict[str, ProjectAccess]:
            return access

        await key_registry.rebuild(private_client, database)
        found = await cache.lookup(key)
        assert found is not None and found.project_id == 9

    async def test_size_is_bounded(
        self, private_client: redis.asyncio.Redis, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Past its bound the cache forgets its oldest entries, so a flood of keys cannot grow it without limit."""
        monkeypatch.setattr(access_module, "MAX_ENTRIES", 10)
        cache = KeyCache(private_client, ttl_s=60, timeout_s=1)
        for i in range(30):
            await cache.lookup(f"vk_flood-{i}")
        before = await hget_calls(private_client)
        await cache.lookup("vk_flood-29")  # recent: still cached
        assert await hget_calls(private_client) == before
        await cache.lookup("vk_flood-0")  # evicted: read again
        assert await hget_calls(private_client) == before + 1

    async def test_an_absurdly_long_key_is_refused_without_a_read(
        self, private_client: redis.asyncio.Redis
    ) -> None:
        """A key far longer than any issued one is unknown without touching Redis."""
        cache = KeyCache(private_client, ttl_s=60, timeout_s=1)
        before = await hget_calls(private_client)
        assert await cache.lookup("vk_" + "x" * 10_000) is None
        assert await hget_calls(private_client) == before

    async def test_registry_outage_raises_rather_than_answering_unknown(
        self, private_redis: RedisServer, private_client: redis.asyncio.Redis
    ) -> None:
        """With Redis down a lookup raises, so ingest answers 503 and not 403."""
        cache = KeyCache(private_client, ttl_s=60, timeout_s=0.5)
        private_redis.stop()
        with pytest.raises((redis.RedisError, OSError, TimeoutError)):
            await cache.lookup("vk_anything")


class TestOriginAllowed:
    def test_empty_list_admits_any_origin(self) -> None:
        """A project without an allow-list accepts every origin, and requests without one."""
        access = ProjectAccess(project_id=1)
        assert origin_allowed(access, "https://a.example")
        assert origin_allowed(access, None)

    def test_listed_origins_match_exactly_ignoring_case_and_trailing_slash(self) -> None:
        """Scheme, host and port must match a listed origin; case and a trailing slash do not matter."""
        access = ProjectAccess(project_id=1, allowed_origins=("https://Shop.example.com/",))
        assert origin_allowed(access, "https://shop.example.com")
        assert not origin_allowed(access, "http://shop.example.com")
        assert not origin_allowed(access, "https://shop.example.com:8443")
        assert not origin_allowed(access, "https://evil-shop.example.com")
        assert not origin_allowed(access, None)
