"""The admin API's projects: made by owners, changed by their admins (the key registry
follows), deleted with their data after the slug is typed again."""

from __future__ import annotations

from typing import Any, ClassVar

import asyncpg
import msgspec
import pytest
import redis.asyncio
from litestar.testing import AsyncTestClient
from rq import Queue
from rq.serializers import JSONSerializer

from services.admin.app import create_app
from services.contracts import key_registry as registry
from services.contracts.keys import decode_access, key_hash
from services.contracts.project_deletion import PROJECT_DELETED
from services.contracts.queue import QUEUE_NAME
from services.contracts.redis_client import sync_redis
from services.contracts.settings import Settings
from tests.admin.people import World, login_headers, make_world

PROJECTS = "/v1/admin/projects"


@pytest.fixture
async def world(db: asyncpg.Connection, settings: Settings, redis_client) -> World:  # type: ignore[no-untyped-def]
    await registry.rebuild(redis_client, _no_keys)
    return await make_world(db, settings)


async def _no_keys() -> dict[str, Any]:
    return {}


@pytest.fixture
async def uncached(settings: Settings) -> Any:
    """The admin app without the token generation cache: a revocation shows at once."""
    fresh = msgspec.structs.replace(settings, token_check_ttl_s=0.0)
    async with AsyncTestClient(create_app(fresh)) as client:
        yield client


def queued_purges(settings: Settings) -> list[int]:
    connection = sync_redis(settings)
    try:
        jobs = Queue(QUEUE_NAME, connection=connection, serializer=JSONSerializer).jobs
        return [job.args[0] for job in jobs if job.func_name == PROJECT_DELETED]
    finally:
        connection.close()


class TestCreate:
    async def test_an_owner_creates_a_project(
        self,
        admin: AsyncTestClient,
        world: World,  # type: ignore[type-arg]
    ) -> None:
        """Defaults fill what is not given; origins are normalised to scheme://host[:port]."""
        response = await admin.post(PROJECTS, headers=world.owner, json={
            "slug": "docs", "name": "Documentation",
            "allowed_origins": ["HTTPS://Docs.Example.com/", "http://[::1]:8080"],
        })  # fmt: skip
        assert response.status_code == 201, response.text
        project = response.json()
        assert project["slug"] == "docs" and project["name"] == "Documentation"
        assert project["allowed_origins"] == ["http://[::1]:8080", "https://docs.example.com"]
        assert (project["rate_limit_per_minute"], project["filter_bots"]) == (60000, True)
        assert (project["route_rules"], project["keep_trailing_slash"]) == ([], False)
        listed = (await admin.get(PROJECTS, headers=world.owner)).json()
        assert [p["slug"] for p in listed] == ["shop", "blog", "docs"]

    async def test_a_taken_slug_is_a_conflict(
        self,
        admin: AsyncTestClient,
        world: World,  # type: ignore[type-arg]
    ) -> None:
        response = await admin.post(PROJECTS, headers=world.owner, json={"slug": "shop"})
        assert (response.status_code, response.json()["error"]) == (409, "project_exists")

    HOSTILE: ClassVar[list[Any]] = [
        {"slug": "Shop!"},
        {"slug": ""},
        {"slug": "a" * 64},
        {"slug": "ok", "name": "nul\x00name"},
        {"slug": "ok", "name": ""},
        {"slug": "ok", "allowed_origins": ["https://shop.example/path"]},
        {"slug": "ok", "allowed_origins": ["javascript:alert(1)"]},
        {"slug": "ok", "allowed_origins": ["https://user:pw@shop.example"]},
        {"slug": "ok", "allowed_origins": ["https://shop.example:99999"]},
        {"slug": "ok", "rate_limit_per_minute": 0},
        {"slug": "ok", "rate_limit_per_minute": 2**40},
        {"slug": "ok", "filter_bots": "yes"},
        {"slug": "ok", "route_rules": [{"pattern": "(a+)+$", "route": "/a"}]},
        {"slug": "ok", "route_rules": [{"pattern": "(a|aa)*", "route": "/a"}]},
        {"slug": "ok", "route_rules": [{"pattern": "(x)\\1", "route": "/a"}]},
        {"slug": "ok", "route_rules": [{"pattern": "[unclosed", "route": "/a"}]},
        {"slug": "ok", "route_rules": [{"pattern": "/a", "route": "no-slash"}]},
        {"slug": "ok", "owner": True},
        [1, 2],
    ]

    async def test_hostile_bodies_get_400_and_make_nothing(
        self,
        admin: AsyncTestClient,
        world: World,
        db: asyncpg.Connection,  # type: ignore[type-arg]
    ) -> None:
        """Bad slugs and names, origins that are not origins, limits out of range, route
        rules that could take a worker's time, unknown fields: 400 invalid_project."""
        for body in self.HOSTILE:
            response = await admin.post(PROJECTS, headers=world.owner, json=body)
            status = (response.status_code, response.json()["error"])
            assert status == (400, "invalid_project"), body
        assert await db.fetchval("SELECT count(*) FROM projects") == 2

    async def test_malformed_json_gets_400(
        self,
        admin: AsyncTestClient,
        world: World,  # type: ignore[type-arg]
    ) -> None:
        response = await admin.post(PROJECTS, headers=world.owner, content=b'{"slug": ')
        assert (response.status_code, response.json()["error"]) == (400, "invalid_project")


class TestSettings:
    async def test_an_admin_changes_settings_and_ingest_sees_them_at_once(
        self, admin: AsyncTestClient, world: World, redis_client: redis.asyncio.Redis,  # type: ignore[type-arg]
    ) -> None:  # fmt: skip
        """The key registry entry of the project's key carries the new origins, rate limit
        and bot filter as soon as the PATCH answers."""
        made = await admin.post(f"{PROJECTS}/{world.shop}/keys", headers=world.admin, json={})
        key = made.json()["key"]
        response = await admin.patch(f"{PROJECTS}/{world.shop}", headers=world.admin, json={
            "name": "The Shop", "allowed_origins": ["https://shop.example"],
            "rate_limit_per_minute": 120, "filter_bots": False, "keep_trailing_slash": True,
            "route_rules": [{"pattern": "/p/[0-9]+", "route": "/p/:id"}],
        })  # fmt: skip
        assert response.status_code == 200, response.text
        project = response.json()
        assert project["name"] == "The Shop" and project["slug"] == "shop"
        assert project["route_rules"] == [{"pattern": "/p/[0-9]+", "route": "/p/:id"}]
        assert project["keep_trailing_slash"] is True
        raw = await registry.read_entry(redis_client, key_hash(key))
        assert raw is not None
        access = decode_access(raw)
        assert access.allowed_origins == ("https://shop.example",)
        assert (access.rate_limit_per_minute, access.filter_bots) == (120, False)

    async def test_a_patch_changes_only_what_it_names(
        self,
        admin: AsyncTestClient,
        world: World,  # type: ignore[type-arg]
    ) -> None:
        await admin.patch(f"{PROJECTS}/{world.shop}", headers=world.admin,
                          json={"allowed_origins": ["https://shop.example"]})  # fmt: skip
        response = await admin.patch(f"{PROJECTS}/{world.shop}", headers=world.admin,
                                     json={"filter_bots": False})  # fmt: skip
        assert response.json()["allowed_origins"] == ["https://shop.example"]
        assert (await admin.patch(f"{PROJECTS}/{world.shop}", headers=world.admin,
                                  json={"slug": "renamed"})).status_code == 400  # fmt: skip


class TestDelete:
    async def test_a_wrong_or_missing_slug_deletes_nothing(
        self,
        admin: AsyncTestClient,
        world: World,
        db: asyncpg.Connection,
        settings: Settings,  # type: ignore[type-arg]
    ) -> None:
        for body in ({"confirm": "blog"}, {"confirm": "SHOP"}, {}, None):
            response = await admin.request(
                "DELETE", f"{PROJECTS}/{world.shop}", headers=world.admin, json=body
            )
            assert response.status_code == 400, body
            assert response.json()["error"] in ("slug_mismatch", "invalid_confirmation")
        assert (
            await db.fetchval("SELECT deleted_at FROM projects WHERE id = $1", world.shop) is None
        )
        assert queued_purges(settings) == []

    async def test_deleting_ends_keys_tokens_and_queues_the_purge(
        self, admin: AsyncTestClient, uncached: AsyncTestClient, world: World,  # type: ignore[type-arg]
        db: asyncpg.Connection, redis_client: redis.asyncio.Redis, settings: Settings,
    ) -> None:  # fmt: skip
        """At once: gone from lists, its key out of the registry, its members' tokens
        revoked (the caller gets a fresh one), the purge queued; the slug stays taken
        until the purge ends."""
        key = (await admin.post(f"{PROJECTS}/{world.shop}/keys", headers=world.admin,
                                json={"label": "site"})).json()["key"]  # fmt: skip
        response = await admin.request(
            "DELETE", f"{PROJECTS}/{world.shop}", headers=world.admin, json={"confirm": "shop"}
        )
        assert response.status_code == 202, response.text
        answer = response.json()
        assert (answer["project_id"], answer["slug"], answer["status"]) == (
            world.shop, "shop", "purging"
        )  # fmt: skip
        assert await registry.read_entry(redis_client, key_hash(key)) is None
        assert queued_purges(settings) == [world.shop]
        for old in (world.admin, world.viewer, world.owner):
            assert (await uncached.get("/v1/admin/me", headers=old)).json()["error"] == (
                "token_revoked"
            )
        fresh = {"Authorization": f"Bearer {answer['token']}"}
        me = (await uncached.get("/v1/admin/me", headers=fresh)).json()
        assert me["projects"] == []  # the admin had only shop
        assert await db.fetchval("SELECT count(*) FROM user_projects") == 0
        again = await uncached.request(
            "DELETE", f"{PROJECTS}/{world.shop}", headers=fresh, json={"confirm": "shop"}
        )
        assert again.status_code == 403  # the project is no longer theirs
        owner_token = await db.fetchval("SELECT token_generation FROM users WHERE is_owner")
        assert owner_token == 1
        retaken = await uncached.post(PROJECTS, json={"slug": "shop"}, headers=await _owner(
            uncached, world, settings, db))  # fmt: skip
        assert retaken.status_code == 409
        assert "being deleted" in retaken.json()["detail"]


async def _owner(
    client: AsyncTestClient,
    world: World,
    settings: Settings,
    db: asyncpg.Connection,  # type: ignore[type-arg]
) -> dict[str, str]:
    generation = await db.fetchval(
        "SELECT token_generation FROM users WHERE id = $1", world.owner_id
    )
    return login_headers(settings, world.owner_id, {}, owner=True, generation=generation)
