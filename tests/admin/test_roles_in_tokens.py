"""The role claim end to end: a user's roles (user_projects.role, set by `vitals user
grant`) travel in the token the query service's login issues, and the admin service
honours them; taking admin away ends the tokens that claimed it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from services.admin.app import create_app as create_admin
from services.contracts.settings import Settings
from services.contracts.tokens import verify_token
from services.query.app import create_app as create_query
from tests.admin.alerting import SILENCE

EMAIL, PASSWORD = "ann@example.com", "correct horse battery"


@pytest.fixture
async def query(settings: Settings, redis_client) -> AsyncIterator[AsyncTestClient]:  # type: ignore[no-untyped-def, type-arg]
    """The real query app (its login), its cache on the flushed test Redis."""
    async with AsyncTestClient(create_query(settings)) as client:
        yield client


@pytest.fixture
async def uncached_admin(settings: Settings) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    """The admin app without the generation cache, so a demotion shows at once."""
    uncached = msgspec.structs.replace(settings, token_check_ttl_s=0.0)
    async with AsyncTestClient(create_admin(uncached)) as client:
        yield client


async def login(query: AsyncTestClient) -> str:  # type: ignore[type-arg]
    response = await query.post("/v1/auth/token", json={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


class TestLoginRoles:
    async def test_the_login_token_carries_each_projects_role(
        self, cli, query: AsyncTestClient, uncached_admin: AsyncTestClient, settings: Settings,  # type: ignore[no-untyped-def, type-arg]
    ) -> None:  # fmt: skip
        """Admin of shop, viewer of blog: the token says so, and the admin service lets it
        write shop's rules and only read blog's."""
        for slug in ("shop", "blog"):
            cli("project", "create", slug)
        cli("user", "create", EMAIL, "--password", PASSWORD, "--project", "shop", "--project",
            "blog")  # fmt: skip
        cli("user", "grant", EMAIL, "--project", "shop", "--role", "admin")
        token = await login(query)
        claims = verify_token(settings, token)
        assert claims.roles == {"1": "admin", "2": "viewer"}
        headers = {"Authorization": f"Bearer {token}"}
        shop = await uncached_admin.post(
            "/v1/projects/1/alerts/rules", headers=headers, json=SILENCE
        )
        assert shop.status_code == 201, shop.text
        blog = await uncached_admin.post(
            "/v1/projects/2/alerts/rules", headers=headers, json=SILENCE
        )
        assert (blog.status_code, blog.json()["error"]) == (403, "forbidden_role")
        assert (
            await uncached_admin.get("/v1/projects/2/alerts/rules", headers=headers)
        ).status_code == 200

    async def test_taking_admin_away_ends_the_token_that_claimed_it(
        self, cli, query: AsyncTestClient, uncached_admin: AsyncTestClient, settings: Settings,  # type: ignore[no-untyped-def, type-arg]
    ) -> None:  # fmt: skip
        cli("project", "create", "shop")
        cli("user", "create", EMAIL, "--password", PASSWORD, "--project", "shop", "--role", "admin")
        old = {"Authorization": f"Bearer {await login(query)}"}
        cli("user", "grant", EMAIL, "--project", "shop", "--role", "viewer")
        refused = await uncached_admin.post(
            "/v1/projects/1/alerts/rules", headers=old, json=SILENCE
        )
        assert (refused.status_code, refused.json()["error"]) == (401, "token_revoked")
        new = await login(query)
        assert verify_token(settings, new).roles == {"1": "viewer"}
        again = await uncached_admin.post("/v1/projects/1/alerts/rules", json=SILENCE,
                                          headers={"Authorization": f"Bearer {new}"})  # fmt: skip
        assert (again.status_code, again.json()["error"]) == (403, "forbidden_role")
