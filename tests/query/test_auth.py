"""Bearer tokens on every view, and the dashboard login that issues them."""

from __future__ import annotations

import time
from typing import Any

import jwt
import msgspec
import pytest
from argon2 import PasswordHasher
from litestar.testing import AsyncTestClient

from services.cli import catalog
from services.contracts.settings import Settings
from services.query.app import create_app
from tests.query.seeding import Seeder

OTHER_SECRET = "another-secret-that-is-also-long-enough-for-hs256"
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


def token(
    settings: Settings, *, key: str | None = None, algorithm: str = "HS256", **changes: Any
) -> str:
    """A token like ours, with claims changed (None removes one)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "tester", "projects": [1], "iat": now, "exp": now + 600,
        "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
    }  # fmt: skip
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key if key is not None else settings.jwt_secret, algorithm=algorithm)


def unsigned(settings: Settings) -> str:
    now = int(time.time())
    claims = {
        "sub": "tester",
        "projects": [1],
        "iat": now,
        "exp": now + 600,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
    }
    return jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]


async def summary_status(
    client: AsyncTestClient, project: int, raw_token: str | None, **params: str
) -> tuple[int, dict[str, Any]]:
    headers = {} if raw_token is None else {"Authorization": f"Bearer {raw_token}"}
    response = await client.get(f"/v1/projects/{project}/summary", headers=headers, params=params)
    return response.status_code, response.json()


@pytest.fixture
async def project(seed: Seeder) -> int:
    return await seed.project()


class TestBearer:
    async def test_valid_token_is_accepted(
        self, client: AsyncTestClient, query_settings: Settings, project: int
    ) -> None:
        """A token we signed, granting the project, opens its views."""
        status, _ = await summary_status(client, project, token(query_settings, projects=[project]))
        assert status == 200

    async def test_missing_token(self, client: AsyncTestClient, project: int) -> None:
        """No Authorization header is 401 invalid_token with a Bearer challenge."""
        response = await client.get(f"/v1/projects/{project}/summary")
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"
        assert response.headers["www-authenticate"].startswith("Bearer")

    async def test_other_scheme(self, client: AsyncTestClient, project: int) -> None:
        """A Basic credential is not a bearer token."""
        response = await client.get(
            f"/v1/projects/{project}/summary", headers={"Authorization": "Basic dXNlcjpwYXNz"}
        )
        assert response.status_code == 401

    async def test_garbage_token(self, client: AsyncTestClient, project: int) -> None:
        """A string that is no JWT at all is rejected."""
        assert (await summary_status(client, project, "not.a.jwt"))[0] == 401

    async def test_alg_none(
        self, client: AsyncTestClient, query_settings: Settings, project: int
    ) -> None:
        """An unsigned token (alg none) is rejected whatever it claims."""
        status, body = await summary_status(client, project, unsigned(query_settings))
        assert (status, body["error"]) == (401, "invalid_token")

    async def test_other_key(
        self, client: AsyncTestClient, query_settings: Settings, project: int
    ) -> None:
        """A token signed with another key is rejected."""
        status, _ = await summary_status(
            client, project, token(query_settings, key=OTHER_SECRET, projects=[project])
        )
        assert status == 401

    async def test_other_algorithm_same_key(
        self, client: AsyncTestClient, query_settings: Settings, project: int
    ) -> None:
        """HS512 with our own key is still refused: the algorithm is pinned, not read from the token."""
        status, _ = await summary_status(
            client, project, token(query_settings, algorithm="HS512", projects=[project])
        )
        assert status == 401

    async def test_wrong_audience(
        self, client: AsyncTestClient, query_settings: Settings, project: int
    ) -> None:
        """A token for another audience is rejected."""
        status, _ = await summary_status(
            client, project, token(query_settings, aud="someone-else", projects=[project])
        )
        assert status == 401

    async def test_wrong_issuer(
        self, client: AsyncTestClient, query_settings: Settings, project: int
    ) -> None:
        """A token from another issuer is rejected."""
        status, _ = await summary_status(
            client, project, token(query_settings, iss="elsewhere", projects=[project])
        )
        assert status == 401

    async def test_expired(
        self, client: AsyncTestClient, query_settings: Settings, project: int
    ) -> None:
        """An expired token is rejected."""
        past = int(time.time()) - 3600
        status, _ = await summary_status(
            client, project, token(query_settings, iat=past - 60, exp=past, projects=[project])
        )
        assert status == 401

    async def test_missing_exp(
        self, client: AsyncTestClient, query_settings: Settings, project: int
    ) -> None:
        """A token without exp never expires, so it is refused."""
        status, _ = await summary_status(
            client, project, token(query_settings, exp=None, projects=[project])
        )
        assert status == 401

    async def test_missing_audience(
        self, client: AsyncTestClient, query_settings: Settings, project: int
    ) -> None:
        """A token without aud is refused."""
        status, _ = await summary_status(
            client, project, token(query_settings, aud=None, projects=[project])
        )
        assert status == 401

    async def test_token_for_another_project(
        self, client: AsyncTestClient, query_settings: Settings, seed: Seeder, project: int
    ) -> None:
        """A valid token for project A asking for project B is 403 forbidden_project."""
        other = await seed.project("other")
        status, body = await summary_status(
            client, other, token(query_settings, projects=[project])
        )
        assert (status, body["error"]) == (403, "forbidden_project")

    async def test_authentication_comes_before_validation(
        self, client: AsyncTestClient, project: int
    ) -> None:
        """Without a token even a malformed request is 401: parameters are not checked for strangers."""
        status, _ = await summary_status(client, project, None, tz="Mars/Olympus")
        assert status == 401


class TestLifetimeCap:
    async def test_hundred_year_token(
        self, client: AsyncTestClient, query_settings: Settings, project: int
    ) -> None:
        """A token signed for 100 years is refused, however valid it is otherwise."""
        now = int(time.time())
        century = token(query_settings, iat=now, exp=now + 100 * 365 * 86400, projects=[project])
        status, body = await summary_status(client, project, century)
        assert (status, body["error"]) == (401, "invalid_token")
        assert "exceeds the maximum" in body["detail"]

    async def test_issued_longer_ago_than_the_cap(
        self, client: AsyncTestClient, query_settings: Settings, project: int
    ) -> None:
        """A token issued more than the cap ago is refused even though its exp is still ahead."""
        now = int(time.time())
        cap = query_settings.jwt_max_lifetime_s
        old = token(query_settings, iat=now - cap - 60, exp=now + 60, projects=[project])
        status, body = await summary_status(client, project, old)
        assert (status, body["error"]) == (401, "invalid_token")

    async def test_issued_in_the_future(
        self, client: AsyncTestClient, query_settings: Settings, project: int
    ) -> None:
        """A token whose iat is ahead of the clock by more than the skew allowance is refused."""
        now = int(time.time())
        ahead = token(query_settings, iat=now + 3600, exp=now + 7200, projects=[project])
        status, body = await summary_status(client, project, ahead)
        assert (status, body["error"]) == (401, "invalid_token")

    @pytest.mark.parametrize("iat", [None, "0", 1.5])
    async def test_missing_or_mistyped_iat(
        self, client: AsyncTestClient, query_settings: Settings, project: int, iat: Any
    ) -> None:
        """Without an integer iat the token's age is unknown, so it is refused."""
        status, _ = await summary_status(
            client, project, token(query_settings, iat=iat, projects=[project])
        )
        assert status == 401

    async def test_a_smaller_configured_cap_applies(
        self, cache: Any, query_settings: Settings, project: int
    ) -> None:
        """With VITALS_JWT_MAX_LIFETIME_S=600 a one-hour token is refused and a ten-minute one is not."""
        strict = msgspec.structs.replace(query_settings, jwt_max_lifetime_s=600)
        now = int(time.time())
        async with AsyncTestClient(create_app(strict)) as strict_client:
            hour = token(strict, iat=now, exp=now + 3600, projects=[project])
            ten_minutes = token(strict, iat=now, exp=now + 600, projects=[project])
            assert (await summary_status(strict_client, project, hour))[0] == 401
            assert (await summary_status(strict_client, project, ten_minutes))[0] == 200


class TestLogin:
    @pytest.fixture
    async def user(self, db: Any, project: int) -> tuple[str, str, int]:
        email, password = "ann@example.com", "correct horse battery"
        await catalog.upsert_user(db, email, PasswordHasher().hash(password), [project])
        return email, password, project

    async def test_issues_a_token_for_the_users_projects(
        self, client: AsyncTestClient, user: tuple[str, str, int]
    ) -> None:
        """The right password returns a token granting the user's projects, which opens their views."""
        email, password, project = user
        response = await client.post("/v1/auth/token", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["projects"] == [project]
        status, _ = await summary_status(client, project, body["token"])
        assert status == 200
        assert body["expires_at"] > time.strftime(
            "%Y-%m-%dT%H", time.gmtime(time.time() + 11 * 3600)
        )

    async def test_wrong_password(
        self, client: AsyncTestClient, user: tuple[str, str, int]
    ) -> None:
        """A wrong password is 401 invalid_credentials."""
        response = await client.post(
            "/v1/auth/token", json={"email": user[0], "password": "wrong password"}
        )
        assert (response.status_code, response.json()["error"]) == (401, "invalid_credentials")

    async def test_unknown_user_looks_like_a_wrong_password(
        self, client: AsyncTestClient, user: tuple[str, str, int]
    ) -> None:
        """An unknown email gets exactly the wrong-password answer, so accounts cannot be probed."""
        unknown = await client.post(
            "/v1/auth/token", json={"email": "nobody@example.com", "password": "whatever"}
        )
        wrong = await client.post("/v1/auth/token", json={"email": user[0], "password": "whatever"})
        assert (unknown.status_code, unknown.json()) == (wrong.status_code, wrong.json())

    async def test_malformed_body(self, client: AsyncTestClient) -> None:
        """A body without a password is 400 invalid_parameter."""
        response = await client.post("/v1/auth/token", json={"email": "ann@example.com"})
        assert (response.status_code, response.json()["error"]) == (400, "invalid_parameter")

    async def test_nul_in_email(self, client: AsyncTestClient) -> None:
        """An email PostgreSQL could not even compare is 400, not a server error."""
        response = await client.post(
            "/v1/auth/token", json={"email": "ann\x00@example.com", "password": "x"}
        )
        assert (response.status_code, response.json()["error"]) == (400, "invalid_parameter")

    async def test_login_needs_no_token(
        self, client: AsyncTestClient, query_settings: Settings
    ) -> None:
        """The login route is the one route without a bearer requirement in the schema."""
        schema = (await client.get("/schema/openapi.json")).json()
        assert not schema["paths"]["/v1/auth/token"]["post"].get("security")
        bearer_only = [{"bearer": []}]
        assert (
            schema["paths"]["/v1/projects/{project_id}/summary"]["get"]["security"] == bearer_only
        )
        assert schema["paths"]["/v1/records:queryRecord"]["post"]["security"] == bearer_only
