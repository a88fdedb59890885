"""The admin API's people: a project's members (its admins) and the instance's users
(owners), invitations by e-mail with a one-time set-password link, roles, removal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from services.admin.app import create_app
from services.contracts.settings import Settings
from tests.admin.people import World, login_headers, make_world

MEMBERS = "/v1/admin/projects/{}/members"
USERS = "/v1/admin/users"


@pytest.fixture
async def world(db: asyncpg.Connection, settings: Settings, redis_client) -> World:  # type: ignore[no-untyped-def]
    return await make_world(db, settings)


@pytest.fixture
async def uncached(settings: Settings) -> AsyncIterator[Any]:
    """The admin app without the token generation cache: a revocation shows at once."""
    fresh = msgspec.structs.replace(settings, token_check_ttl_s=0.0)
    async with AsyncTestClient(create_app(fresh)) as client:
        yield client


class TestMembers:
    async def test_an_admin_invites_a_new_address_and_gets_a_link(
        self,
        admin: AsyncTestClient,
        world: World,
        db: asyncpg.Connection,
        settings: Settings,  # type: ignore[type-arg]
    ) -> None:
        """A new account waits for its password (it cannot sign in meanwhile); the link
        points at the dashboard with the token in its fragment."""
        response = await admin.post(MEMBERS.format(world.shop), headers=world.admin,
                                    json={"email": "new@example.com", "role": "viewer"})  # fmt: skip
        assert response.status_code == 201, response.text
        answer = response.json()
        assert answer["member"]["email"] == "new@example.com"
        assert (answer["member"]["role"], answer["member"]["invited"]) == ("viewer", True)
        link = answer["set_password_link"]
        assert link["url"].startswith(
            settings.dashboard_url.rstrip("/") + "/?view=set-password#token=vsp_"
        )
        assert link["url"].endswith(link["token"])
        stored = await db.fetchrow(
            "SELECT password_hash FROM users WHERE email = 'new@example.com'"
        )
        assert stored["password_hash"] == ""
        listed = (await admin.get(MEMBERS.format(world.shop), headers=world.admin)).json()
        assert [m["email"] for m in listed] == ["admin@example.com", "new@example.com",
                                                 "viewer@example.com"]  # fmt: skip

    async def test_an_existing_account_is_granted_without_a_link(
        self,
        admin: AsyncTestClient,
        world: World,  # type: ignore[type-arg]
    ) -> None:
        """An admin gets no way into someone's existing account: only the grant."""
        response = await admin.post(MEMBERS.format(world.shop), headers=world.admin,
                                    json={"email": "owner@example.com"})  # fmt: skip
        assert response.status_code == 201
        assert response.json()["set_password_link"] is None
        twice = await admin.post(MEMBERS.format(world.shop), headers=world.admin,
                                 json={"email": "owner@example.com"})  # fmt: skip
        assert (twice.status_code, twice.json()["error"]) == (409, "member_exists")

    async def test_hostile_member_bodies_get_400(
        self,
        admin: AsyncTestClient,
        world: World,
        db: asyncpg.Connection,  # type: ignore[type-arg]
    ) -> None:
        for body in ({"email": "no-at-sign"}, {"email": "a@b\x00c"}, {"email": "a b@c"},
                     {"email": "x@y.z", "role": "owner"}, {"email": "x@y.z", "owner": True},
                     {"email": "x" * 320 + "@y.z"}):  # fmt: skip
            response = await admin.post(MEMBERS.format(world.shop), headers=world.admin, json=body)
            status = (response.status_code, response.json()["error"])
            assert status == (400, "invalid_member"), body
        assert await db.fetchval("SELECT count(*) FROM users") == 3

    async def test_demoting_or_removing_a_member_ends_their_tokens(
        self, admin: AsyncTestClient, uncached: AsyncTestClient, world: World,  # type: ignore[type-arg]
        settings: Settings, db: asyncpg.Connection,
    ) -> None:  # fmt: skip
        """Their tokens claimed the role or the project: both end, at once."""
        demoted = await admin.patch(f"{MEMBERS.format(world.shop)}/{world.admin_id}",
                                    headers=world.owner, json={"role": "viewer"})  # fmt: skip
        assert demoted.json()["role"] == "viewer"
        old = await uncached.get("/v1/admin/me", headers=world.admin)
        assert old.json()["error"] == "token_revoked"
        promoted = await admin.patch(f"{MEMBERS.format(world.shop)}/{world.viewer_id}",
                                     headers=world.owner, json={"role": "admin"})  # fmt: skip
        assert promoted.json()["role"] == "admin"
        still = await uncached.get("/v1/admin/me", headers=world.viewer)
        assert still.status_code == 200  # a promotion ends nothing; it shows at refresh
        removed = await admin.delete(f"{MEMBERS.format(world.shop)}/{world.viewer_id}",
                                     headers=world.owner)  # fmt: skip
        assert removed.status_code == 204
        gone = await uncached.get("/v1/admin/me", headers=world.viewer)
        assert gone.json()["error"] == "token_revoked"
        generation = await db.fetchval(
            "SELECT token_generation FROM users WHERE id = $1", world.viewer_id
        )
        fresh = login_headers(settings, world.viewer_id, {}, generation=generation)
        assert (await uncached.get("/v1/admin/me", headers=fresh)).json()["projects"] == []
        missing = await admin.delete(f"{MEMBERS.format(world.shop)}/{world.viewer_id}",
                                     headers=world.owner)  # fmt: skip
        assert (missing.status_code, missing.json()["error"]) == (404, "member_not_found")

    async def test_a_refreshed_token_carries_a_new_grant(
        self,
        admin: AsyncTestClient,
        world: World,
        settings: Settings,  # type: ignore[type-arg]
    ) -> None:
        """After a promotion the user asks for a fresh token: admin now, same expiry."""
        await admin.patch(f"{MEMBERS.format(world.shop)}/{world.viewer_id}",
                          headers=world.owner, json={"role": "admin"})  # fmt: skip
        refreshed = await admin.post("/v1/admin/me/token", headers=world.viewer)
        assert refreshed.status_code == 200, refreshed.text
        assert refreshed.json()["roles"] == {str(world.shop): "admin"}
        headers = {"Authorization": f"Bearer {refreshed.json()['token']}"}
        keys = await admin.get(f"/v1/admin/projects/{world.shop}/keys", headers=headers)
        assert keys.status_code == 200


class TestUsers:
    async def test_an_owner_adds_a_user_with_grants_and_a_link(
        self,
        admin: AsyncTestClient,
        world: World,  # type: ignore[type-arg]
    ) -> None:
        response = await admin.post(USERS, headers=world.owner, json={
            "email": "colleague@example.com",
            "projects": [{"project_id": world.shop, "role": "admin"},
                         {"project_id": world.blog}],
        })  # fmt: skip
        assert response.status_code == 201, response.text
        user = response.json()["user"]
        assert user["projects"] == {str(world.shop): "admin", str(world.blog): "viewer"}
        assert response.json()["set_password_link"]["token"].startswith("vsp_")
        exists = await admin.post(USERS, headers=world.owner,
                                  json={"email": "colleague@example.com"})  # fmt: skip
        assert (exists.status_code, exists.json()["error"]) == (409, "user_exists")
        unknown = await admin.post(USERS, headers=world.owner, json={
            "email": "x@example.com", "projects": [{"project_id": 999}]})  # fmt: skip
        assert (unknown.status_code, unknown.json()["error"]) == (404, "project_not_found")
        listed = (await admin.get(USERS, headers=world.owner)).json()
        assert "x@example.com" not in [u["email"] for u in listed]

    async def test_the_last_owner_stays_and_nobody_removes_themselves(
        self,
        admin: AsyncTestClient,
        world: World,
        db: asyncpg.Connection,  # type: ignore[type-arg]
    ) -> None:
        demote = await admin.patch(f"{USERS}/{world.owner_id}", headers=world.owner,
                                   json={"owner": False})  # fmt: skip
        assert (demote.status_code, demote.json()["error"]) == (409, "last_owner")
        self_removal = await admin.delete(f"{USERS}/{world.owner_id}", headers=world.owner)
        assert (self_removal.status_code, self_removal.json()["error"]) == (
            409, "cannot_remove_self"
        )  # fmt: skip
        promoted = await admin.patch(f"{USERS}/{world.admin_id}", headers=world.owner,
                                     json={"owner": True})  # fmt: skip
        assert promoted.json()["owner"] is True
        removed = await admin.delete(f"{USERS}/{world.admin_id}", headers=world.owner)
        assert removed.status_code == 204
        assert await db.fetchval("SELECT count(*) FROM users WHERE id = $1", world.admin_id) == 0
        assert await db.fetchval("SELECT count(*) FROM user_projects WHERE user_id = $1",
                                 world.admin_id) == 0  # fmt: skip

    async def test_an_owner_issues_a_new_link_that_voids_the_old_one(
        self,
        admin: AsyncTestClient,
        world: World,  # type: ignore[type-arg]
    ) -> None:
        first = (await admin.post(f"{USERS}/{world.viewer_id}/password-link",
                                  headers=world.owner)).json()  # fmt: skip
        second = (await admin.post(f"{USERS}/{world.viewer_id}/password-link",
                                   headers=world.owner)).json()  # fmt: skip
        assert first["token"] != second["token"]
        old = await admin.post("/v1/admin/password",
                               json={"token": first["token"], "password": "long enough"})  # fmt: skip
        assert (old.status_code, old.json()["error"]) == (404, "link_not_found")
        new = await admin.post("/v1/admin/password",
                               json={"token": second["token"], "password": "long enough"})  # fmt: skip
        assert new.status_code == 200
