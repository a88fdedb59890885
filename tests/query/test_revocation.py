"""Revocable user tokens on the query service: a password change, `vitals user revoke`,
a deleted user or a forged generation each end a login token with 401 token_revoked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from argon2 import PasswordHasher
from litestar.testing import AsyncTestClient

from services.cli import catalog
from services.contracts.settings import Settings
from services.contracts.tokens import verify_token
from services.query.app import create_app
from tests.query.seeding import Seeder
from tests.query.test_auth import summary_status, token


@pytest.fixture
async def project(seed: Seeder) -> int:
    return await seed.project()


class TestRevocation:
    EMAIL, PASSWORD = "ann@example.com", "correct horse battery"

    @pytest.fixture
    async def fresh_client(
        self, query_settings: Settings, cache: Any
    ) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
        """The query app without the generation cache, so a revocation shows at once."""
        uncached = msgspec.structs.replace(query_settings, token_check_ttl_s=0.0)
        async with AsyncTestClient(create_app(uncached)) as test_client:
            yield test_client

    @pytest.fixture
    async def user_id(self, db: Any, project: int) -> int:
        user: int = await catalog.upsert_user(
            db, self.EMAIL, PasswordHasher().hash(self.PASSWORD), [project]
        )
        return user

    async def login(self, client: AsyncTestClient, password: str | None = None) -> str:
        response = await client.post(
            "/v1/auth/token", json={"email": self.EMAIL, "password": password or self.PASSWORD}
        )
        assert response.status_code == 200, response.text
        issued: str = response.json()["token"]
        return issued

    async def test_login_token_names_the_user_and_generation(
        self, fresh_client: AsyncTestClient, query_settings: Settings, user_id: int
    ) -> None:
        """A login token carries the user's id and current generation."""
        claims = verify_token(query_settings, await self.login(fresh_client))
        assert (claims.uid, claims.gen) == (user_id, 0)

    async def test_password_change_ends_earlier_tokens(
        self, fresh_client: AsyncTestClient, db: Any, user_id: int, project: int
    ) -> None:
        """After a password change the old token is 401 token_revoked; the new password logs in."""
        old = await self.login(fresh_client)
        assert (await summary_status(fresh_client, project, old))[0] == 200
        await catalog.set_password(db, self.EMAIL, PasswordHasher().hash("a new password"))
        status, body = await summary_status(fresh_client, project, old)
        assert (status, body["error"]) == (401, "token_revoked")
        new = await self.login(fresh_client, "a new password")
        assert (await summary_status(fresh_client, project, new))[0] == 200

    async def test_revoke_ends_earlier_tokens(
        self, fresh_client: AsyncTestClient, db: Any, user_id: int, project: int
    ) -> None:
        """`vitals user revoke` ends the old token; logging in again with the same password works."""
        old = await self.login(fresh_client)
        await catalog.revoke_tokens(db, self.EMAIL)
        status, body = await summary_status(fresh_client, project, old)
        assert (status, body["error"]) == (401, "token_revoked")
        assert (await summary_status(fresh_client, project, await self.login(fresh_client)))[
            0
        ] == 200

    async def test_user_create_again_ends_earlier_tokens(
        self, fresh_client: AsyncTestClient, db: Any, user_id: int, project: int
    ) -> None:
        """`vitals user create` for an existing email resets the password and ends the old token."""
        old = await self.login(fresh_client)
        await catalog.upsert_user(db, self.EMAIL, PasswordHasher().hash("reset pw"), [project])
        assert (await summary_status(fresh_client, project, old))[1]["error"] == "token_revoked"

    async def test_revoked_on_the_record_route_too(
        self, fresh_client: AsyncTestClient, db: Any, user_id: int, project: int
    ) -> None:
        """The CrUX-shaped route refuses a revoked token the same way."""
        old = await self.login(fresh_client)
        await catalog.revoke_tokens(db, self.EMAIL)
        response = await fresh_client.post(
            "/v1/records:queryRecord",
            json={"origin": "x"},
            headers={"Authorization": f"Bearer {old}"},
        )
        error = response.json()["error"]  # the CrUX route answers in Google's shape
        assert (response.status_code, error["details"][0]["reason"]) == (401, "TOKEN_REVOKED")

    async def test_deleted_users_token(
        self, fresh_client: AsyncTestClient, db: Any, user_id: int, project: int
    ) -> None:
        """A token of a user who was deleted is refused."""
        old = await self.login(fresh_client)
        await db.execute("DELETE FROM users WHERE id = $1", user_id)
        assert (await summary_status(fresh_client, project, old))[1]["error"] == "token_revoked"

    async def test_forged_higher_generation(
        self, fresh_client: AsyncTestClient, query_settings: Settings, user_id: int, project: int
    ) -> None:
        """A token claiming a generation ahead of the user's is refused, not taken as newer."""
        forged = token(query_settings, projects=[project], uid=user_id, gen=1)
        status, body = await summary_status(fresh_client, project, forged)
        assert (status, body["error"]) == (401, "token_revoked")

    @pytest.mark.parametrize(
        "claims",
        [{"gen": None}, {"uid": None}, {"gen": "0"}, {"uid": "1"}, {"gen": -1}, {"uid": 2**40}],
        ids=["no gen", "gen without uid", "gen a string", "uid a string", "negative", "huge uid"],
    )
    async def test_malformed_user_claims(
        self,
        fresh_client: AsyncTestClient,
        query_settings: Settings,
        user_id: int,
        project: int,
        claims: dict[str, Any],
    ) -> None:
        """A user token missing half its identity or with mistyped ids is 401 invalid_token."""
        changes = {"uid": user_id, "gen": 0, **claims}
        raw = token(query_settings, projects=[project], **changes)
        status, body = await summary_status(fresh_client, project, raw)
        assert (status, body["error"]) == (401, "invalid_token")
