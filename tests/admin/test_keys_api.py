"""The admin API's ingest keys: the key shown once, labels, revocation that ingest
honours within seconds through the real Redis key registry."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import msgspec
import pytest
import redis.asyncio
from litestar.testing import AsyncTestClient

from services.admin.app import create_app
from services.contracts import key_registry as registry
from services.contracts.keys import key_hash
from services.contracts.settings import Settings
from tests.admin.people import World, make_world
from tests.ingest.conftest import beacon, ingest_client, post_beacon
from tests.support.processes import RedisServer

KEYS = "/v1/admin/projects/{}/keys"


async def _no_keys() -> dict[str, Any]:
    return {}


@pytest.fixture
async def world(db: asyncpg.Connection, settings: Settings, redis_client) -> World:  # type: ignore[no-untyped-def]
    await registry.rebuild(redis_client, _no_keys)  # a built, empty registry
    return await make_world(db, settings)


class TestKeys:
    async def test_a_key_is_shown_once_and_listed_by_prefix(
        self,
        admin: AsyncTestClient,
        world: World,
        db: asyncpg.Connection,  # type: ignore[type-arg]
    ) -> None:
        """The POST answers the key; the list and the database hold its prefix and hash."""
        made = await admin.post(KEYS.format(world.shop), headers=world.admin,
                                json={"label": "production"})  # fmt: skip
        assert made.status_code == 201, made.text
        key = made.json()["key"]
        assert key.startswith("vk_") and made.json()["ingest_key"]["label"] == "production"
        listed = (await admin.get(KEYS.format(world.shop), headers=world.admin)).json()
        assert [k["prefix"] for k in listed] == [key[:9]]
        assert key not in str(listed)
        assert await db.fetchval("SELECT key_hash FROM ingest_keys") == key_hash(key)

    async def test_a_key_can_be_relabelled(
        self,
        admin: AsyncTestClient,
        world: World,  # type: ignore[type-arg]
    ) -> None:
        made = (await admin.post(KEYS.format(world.shop), headers=world.admin)).json()
        key_id = made["ingest_key"]["id"]
        response = await admin.patch(f"{KEYS.format(world.shop)}/{key_id}", headers=world.admin,
                                     json={"label": "staging"})  # fmt: skip
        assert response.json()["label"] == "staging"
        for label in ("x" * 101, "nul\x00"):
            bad = await admin.patch(f"{KEYS.format(world.shop)}/{key_id}", headers=world.admin,
                                    json={"label": label})  # fmt: skip
            assert (bad.status_code, bad.json()["error"]) == (400, "invalid_key")

    async def test_another_projects_key_is_not_found_through_this_one(
        self,
        admin: AsyncTestClient,
        world: World,
        db: asyncpg.Connection,  # type: ignore[type-arg]
    ) -> None:
        """Admin of shop names blog's key id under shop's path: 404, as a key that does
        not exist, and the key stays active."""
        blog_key = (await admin.post(KEYS.format(world.blog), headers=world.owner)).json()
        key_id = blog_key["ingest_key"]["id"]
        for method, body in (("PATCH", {"label": "mine"}), ("DELETE", None)):
            response = await admin.request(
                method, f"{KEYS.format(world.shop)}/{key_id}", headers=world.admin, json=body
            )
            assert (response.status_code, response.json()["error"]) == (404, "key_not_found")
        missing = await admin.delete(f"{KEYS.format(world.shop)}/2147483647",
                                     headers=world.admin)  # fmt: skip
        assert missing.status_code == 404
        assert await db.fetchval("SELECT revoked_at FROM ingest_keys WHERE id = $1", key_id) is None

    async def test_a_revoked_key_is_refused_by_ingest_within_seconds(
        self, admin: AsyncTestClient, world: World, settings: Settings,  # type: ignore[type-arg]
        redis_client: redis.asyncio.Redis,
    ) -> None:  # fmt: skip
        """Made through the API, the key is accepted by the real ingest app; revoked
        through the API, it is out of the registry at once and ingest refuses it (403)
        within its key cache's TTL (1 s here)."""
        made = (await admin.post(KEYS.format(world.shop), headers=world.admin)).json()
        key, key_id = made["key"], made["ingest_key"]["id"]
        ingest_settings = msgspec.structs.replace(settings, key_cache_ttl_s=1.0)
        async with ingest_client(ingest_settings) as ingest:
            assert (await post_beacon(ingest, key, beacon())).status_code == 202
            revoked = await admin.delete(f"{KEYS.format(world.shop)}/{key_id}",
                                         headers=world.admin)  # fmt: skip
            assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
            assert await registry.read_entry(redis_client, key_hash(key)) is None
            started = time.monotonic()
            while (await post_beacon(ingest, key, beacon())).status_code != 403:
                assert time.monotonic() - started < 3.0, "ingest still accepts a revoked key"
                await asyncio.sleep(0.1)
        again = await admin.delete(f"{KEYS.format(world.shop)}/{key_id}", headers=world.admin)
        assert again.json()["revoked_at"] == revoked.json()["revoked_at"]  # idempotent


class TestRedisDown:
    async def test_a_key_is_not_made_while_the_registry_is_unreachable(
        self, settings: Settings, db: asyncpg.Connection, private_redis: RedisServer
    ) -> None:
        """503 registry_unavailable, and the row the key would have had is revoked: a key
        nobody was shown can never work, not even after a rebuild."""
        world = await make_world(db, settings)
        down = msgspec.structs.replace(
            settings, redis_url=private_redis.url, cache_redis_url=private_redis.url,
            redis_timeout_s=0.5,
        )  # fmt: skip
        async with AsyncTestClient(create_app(down)) as admin:
            private_redis.stop()
            response = await admin.post(KEYS.format(world.shop), headers=world.admin)
        assert (response.status_code, response.json()["error"]) == (503, "registry_unavailable")
        assert "key" not in response.json()
        assert await db.fetchval("SELECT count(*) FROM ingest_keys WHERE revoked_at IS NULL") == 0
