"""Who may call the admin API's projects, keys, members and users endpoints: hostile
tokens and callers get a stable JSON 401 or 403 before anything is read or written."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from services.admin.app import create_app
from services.contracts.settings import Settings
from services.contracts.tokens import mint_token
from tests.admin.people import World, expired_headers, forged_headers, make_world


def project_endpoints(project_id: int) -> list[tuple[str, str, Any]]:
    """Every endpoint a project's admin may call, with a body that would be valid."""
    one = f"/v1/admin/projects/{project_id}"
    return [
        ("GET", one, None),
        ("PATCH", one, {"name": "Renamed"}),
        ("DELETE", one, {"confirm": "shop"}),
        ("GET", one + "/keys", None),
        ("POST", one + "/keys", {"label": "new"}),
        ("PATCH", one + "/keys/1", {"label": "renamed"}),
        ("DELETE", one + "/keys/1", None),
        ("GET", one + "/members", None),
        ("POST", one + "/members", {"email": "new@example.com", "role": "admin"}),
        ("PATCH", one + "/members/1", {"role": "admin"}),
        ("DELETE", one + "/members/1", None),
    ]


OWNER_ENDPOINTS: list[tuple[str, str, Any]] = [
    ("POST", "/v1/admin/projects", {"slug": "new-site"}),
    ("GET", "/v1/admin/users", None),
    ("POST", "/v1/admin/users", {"email": "new@example.com", "owner": True}),
    ("PATCH", "/v1/admin/users/1", {"owner": True}),
    ("DELETE", "/v1/admin/users/1", None),
    ("POST", "/v1/admin/users/1/password-link", None),
]


@pytest.fixture
async def world(db: asyncpg.Connection, settings: Settings, redis_client) -> World:  # type: ignore[no-untyped-def]
    return await make_world(db, settings)


async def call(
    client: AsyncTestClient,
    method: str,
    path: str,
    body: Any,
    headers: dict[str, str],  # type: ignore[type-arg]
) -> tuple[int, str]:
    response = await client.request(method, path, json=body, headers=headers)
    return response.status_code, response.json().get("error", "")


async def nothing_changed(db: asyncpg.Connection) -> None:
    assert await db.fetchval("SELECT count(*) FROM ingest_keys") == 0
    assert await db.fetchval("SELECT count(*) FROM projects WHERE deleted_at IS NULL") == 2
    assert await db.fetchval("SELECT count(*) FROM users") == 3
    assert await db.fetchval("SELECT count(*) FROM password_links") == 0


class TestViewers:
    async def test_a_viewer_gets_403_on_every_admin_endpoint_of_their_project(
        self,
        admin: AsyncTestClient,
        world: World,
        db: asyncpg.Connection,  # type: ignore[type-arg]
    ) -> None:
        """Each write and each admin read answers 403 forbidden_role, and nothing changes."""
        for method, path, body in project_endpoints(world.shop):
            assert await call(admin, method, path, body, world.viewer) == (
                403, "forbidden_role"
            ), (method, path)  # fmt: skip
        await nothing_changed(db)

    async def test_project_admins_and_viewers_get_403_on_owner_endpoints(
        self,
        admin: AsyncTestClient,
        world: World,
        db: asyncpg.Connection,  # type: ignore[type-arg]
    ) -> None:
        """Creating projects and managing accounts takes the owner role."""
        for headers in (world.viewer, world.admin):
            for method, path, body in OWNER_ENDPOINTS:
                assert await call(admin, method, path, body, headers) == (
                    403, "forbidden_role"
                ), (method, path)  # fmt: skip
        await nothing_changed(db)

    async def test_a_viewer_lists_no_project_to_administer(
        self,
        admin: AsyncTestClient,
        world: World,  # type: ignore[type-arg]
    ) -> None:
        """The projects list holds what the caller administers: nothing for a viewer."""
        response = await admin.get("/v1/admin/projects", headers=world.viewer)
        assert (response.status_code, response.json()) == (200, [])


class TestOtherProjects:
    async def test_an_admin_of_one_project_cannot_touch_another(
        self,
        admin: AsyncTestClient,
        world: World,
        db: asyncpg.Connection,  # type: ignore[type-arg]
    ) -> None:
        """Admin of shop on blog: 403 forbidden_project, exactly as for a project that does
        not exist, so the answer tells nothing about which projects exist."""
        for (method, path, body), (_, missing, _) in zip(
            project_endpoints(world.blog), project_endpoints(999_999), strict=True
        ):
            existing = await admin.request(method, path, json=body, headers=world.admin)
            absent = await admin.request(method, missing, json=body, headers=world.admin)
            assert existing.status_code == absent.status_code == 403, (method, path)
            assert existing.json()["error"] == absent.json()["error"] == "forbidden_project"
        await nothing_changed(db)

    async def test_an_owner_is_told_a_project_does_not_exist(
        self,
        admin: AsyncTestClient,
        world: World,  # type: ignore[type-arg]
    ) -> None:
        """An owner administers every project, so for them a missing one is a 404."""
        response = await admin.get("/v1/admin/projects/999999", headers=world.owner)
        assert (response.status_code, response.json()["error"]) == (404, "project_not_found")


class TestBadTokens:
    async def test_forged_expired_and_missing_tokens_get_401(
        self,
        admin: AsyncTestClient,
        world: World,
        settings: Settings,
        db: asyncpg.Connection,  # type: ignore[type-arg]
    ) -> None:
        """A token signed with another secret (claiming owner), one past its expiry, and
        none at all: 401 invalid_token on every endpoint, and nothing changes."""
        endpoints = project_endpoints(world.shop) + OWNER_ENDPOINTS
        endpoints.append(("GET", "/v1/admin/me", None))
        for headers in (forged_headers(settings), expired_headers(settings, world.owner_id), {}):
            for method, path, body in endpoints:
                assert await call(admin, method, path, body, headers) == (
                    401, "invalid_token"
                ), (method, path, headers)  # fmt: skip
        await nothing_changed(db)

    async def test_a_revoked_owner_token_is_refused(
        self,
        settings: Settings,
        world: World,
        db: asyncpg.Connection,  # type: ignore[type-arg]
    ) -> None:
        """Once the owner's generation moves on (password change, removal, demotion) their
        old token gets 401 token_revoked."""
        await db.execute("UPDATE users SET token_generation = 1 WHERE id = $1", world.owner_id)
        uncached = msgspec.structs.replace(settings, token_check_ttl_s=0.0)
        async with AsyncTestClient(create_app(uncached)) as client:
            status, error = await call(client, "GET", "/v1/admin/users", None, world.owner)
        assert (status, error) == (401, "token_revoked")

    def test_only_a_users_token_may_claim_owner(self, settings: Settings) -> None:
        """A project token (no user, so nothing could revoke it) cannot be an owner's."""
        with pytest.raises(ValueError, match="owner"):
            mint_token(settings, subject="cli", projects=[1], lifetime_s=60, owner=True)


class TestMe:
    async def test_me_says_what_each_may_do(
        self,
        admin: AsyncTestClient,
        world: World,  # type: ignore[type-arg]
    ) -> None:
        """The dashboard hides admin screens by this answer."""
        viewer = (await admin.get("/v1/admin/me", headers=world.viewer)).json()
        assert viewer["owner"] is False and viewer["can_create_projects"] is False
        assert viewer["projects"] == [
            {"id": world.shop, "slug": "shop", "name": "shop", "role": "viewer"}
        ]
        project_admin = (await admin.get("/v1/admin/me", headers=world.admin)).json()
        assert [p["role"] for p in project_admin["projects"]] == ["admin"]
        owner = (await admin.get("/v1/admin/me", headers=world.owner)).json()
        assert owner["owner"] is True and owner["can_manage_users"] is True
        assert [(p["slug"], p["role"]) for p in owner["projects"]] == [
            ("shop", "admin"), ("blog", "admin")
        ]  # fmt: skip
