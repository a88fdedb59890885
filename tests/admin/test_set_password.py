"""The set-password link end to end: invited through the admin API, the password set
with the link, then a real login at the query service; a link used twice, expired,
unknown or guessed at speed gets a clear 4xx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from services.admin.set_password import ATTEMPTS_PER_WINDOW
from services.contracts.settings import Settings
from services.contracts.tokens import verify_token
from services.query.app import create_app as create_query
from tests.admin.people import World, make_world

PASSWORD = "correct horse battery"


@pytest.fixture
async def world(db: asyncpg.Connection, settings: Settings, redis_client) -> World:  # type: ignore[no-untyped-def]
    return await make_world(db, settings)


@pytest.fixture
async def query(settings: Settings, redis_client) -> AsyncIterator[Any]:  # type: ignore[no-untyped-def]
    async with AsyncTestClient(create_query(settings)) as client:
        yield client


async def invite(admin: AsyncTestClient, world: World, email: str = "new@example.com") -> str:  # type: ignore[type-arg]
    response = await admin.post(f"/v1/admin/projects/{world.shop}/members", headers=world.admin,
                                json={"email": email, "role": "admin"})  # fmt: skip
    token: str = response.json()["set_password_link"]["token"]
    return token


async def set_password(admin: AsyncTestClient, token: str, password: str = PASSWORD) -> Any:  # type: ignore[type-arg]
    return await admin.post("/v1/admin/password", json={"token": token, "password": password})


class TestSetPassword:
    async def test_the_invited_user_sets_a_password_and_signs_in(
        self,
        admin: AsyncTestClient,
        query: AsyncTestClient,
        world: World,
        settings: Settings,  # type: ignore[type-arg]
    ) -> None:
        """Before: no password works. After: the query service's login issues a token that
        carries the role the invitation gave."""
        token = await invite(admin, world)
        credentials = {"email": "new@example.com", "password": PASSWORD}
        assert (await query.post("/v1/auth/token", json=credentials)).status_code == 401
        response = await set_password(admin, token)
        assert response.status_code == 200, response.text
        assert response.json()["email"] == "new@example.com"
        login = await query.post("/v1/auth/token", json=credentials)
        assert login.status_code == 200, login.text
        assert login.json()["roles"] == {str(world.shop): "admin"}
        assert login.json()["owner"] is False
        claims = verify_token(settings, login.json()["token"])
        assert claims.administers(world.shop) and not claims.grants(world.blog)

    async def test_a_link_used_twice_is_gone(
        self,
        admin: AsyncTestClient,
        world: World,  # type: ignore[type-arg]
    ) -> None:
        token = await invite(admin, world)
        assert (await set_password(admin, token)).status_code == 200
        again = await set_password(admin, token, "another password")
        assert (again.status_code, again.json()["error"]) == (410, "link_used")

    async def test_an_expired_link_is_refused(
        self,
        admin: AsyncTestClient,
        world: World,
        db: asyncpg.Connection,  # type: ignore[type-arg]
    ) -> None:
        token = await invite(admin, world)
        await db.execute("UPDATE password_links SET expires_at = now() - interval '1 second'")
        response = await set_password(admin, token)
        assert (response.status_code, response.json()["error"]) == (410, "link_expired")
        assert (
            await db.fetchval("SELECT password_set_at FROM users WHERE email = 'new@example.com'")
            is None
        )

    async def test_unknown_malformed_and_weak_inputs(
        self,
        admin: AsyncTestClient,
        world: World,  # type: ignore[type-arg]
    ) -> None:
        """A made-up token is 404; a short password is 400 and leaves the link usable."""
        token = await invite(admin, world)
        for made_up in ("vsp_" + "A" * 43, "not-a-token", "vsp_\x00", "x" * 150):
            response = await set_password(admin, made_up)
            assert (response.status_code, response.json()["error"]) == (404, "link_not_found")
        short = await set_password(admin, token, "short")
        assert (short.status_code, short.json()["error"]) == (400, "invalid_password")
        assert (await set_password(admin, token)).status_code == 200
        bad = await admin.post("/v1/admin/password", json={"token": token})
        assert (bad.status_code, bad.json()["error"]) == (400, "invalid_password")

    async def test_attempts_are_limited_per_address(
        self,
        admin: AsyncTestClient,
        world: World,  # type: ignore[type-arg]
    ) -> None:
        """Past the limit even a good link waits: 429 with Retry-After."""
        token = await invite(admin, world)
        for _ in range(ATTEMPTS_PER_WINDOW):
            await set_password(admin, "vsp_" + "B" * 43)
        response = await set_password(admin, token)
        assert (response.status_code, response.json()["error"]) == (429, "too_many_attempts")
        assert int(response.headers["retry-after"]) > 0

    async def test_an_owner_signs_in_as_owner_of_every_project(
        self,
        cli,
        query: AsyncTestClient,
        settings: Settings,  # type: ignore[no-untyped-def, type-arg]
    ) -> None:
        """`vitals user create --owner`: the login token says owner and lists every project."""
        cli("project", "create", "shop")
        cli("project", "create", "blog")
        cli("user", "create", "root@example.com", "--password", PASSWORD, "--owner")
        login = await query.post("/v1/auth/token",
                                 json={"email": "root@example.com", "password": PASSWORD})  # fmt: skip
        assert login.status_code == 200, login.text
        assert (login.json()["owner"], login.json()["projects"]) == (True, [1, 2])
        claims = verify_token(settings, login.json()["token"])
        assert claims.owner and claims.administers(2) and claims.administers(3)
