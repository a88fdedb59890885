"""POST /v1/projects/{project}/deploys with a deploy token (issue 13): what a CI job's one
curl line does, and every way a hostile or broken request is refused with nothing written."""

from __future__ import annotations

import json

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from tests.admin.conftest import bearer

DEPLOYS = "SELECT project_id, release, at, url, description FROM deploys ORDER BY id"


class TestRecording:
    async def test_a_deploy_is_recorded_for_the_tokens_project_by_id_or_slug(
        self,
        admin: AsyncTestClient,
        make_token,
        db: asyncpg.Connection,
        cli,  # type: ignore[no-untyped-def]
    ) -> None:
        """201 with the stored marker; the project may be named by slug or id; `at` defaults
        to now; the token's last use is recorded; `vitals deploy list` shows it."""
        token = make_token("shop")
        first = await admin.post(
            "/v1/projects/shop/deploys", headers=bearer(token),
            json={"release": "v2.1.0", "at": "2026-11-30T10:00:00Z",
                  "url": "https://ci.example/run/7", "description": "checkout rewrite"},
        )  # fmt: skip
        assert first.status_code == 201, first.text
        assert first.json()["release"] == "v2.1.0" and first.json()["at"] == "2026-11-30T10:00:00Z"
        second = await admin.post("/v1/projects/1/deploys", headers=bearer(token),
                                  json={"release": "v2.1.1"})  # fmt: skip
        assert second.status_code == 201, second.text
        rows = [tuple(r) for r in await db.fetch(DEPLOYS)]
        assert [(r[0], r[1], r[3], r[4]) for r in rows] == [
            (1, "v2.1.0", "https://ci.example/run/7", "checkout rewrite"),
            (1, "v2.1.1", None, None),
        ]
        assert await db.fetchval(
            "SELECT now() - at < interval '1 minute' FROM deploys WHERE id = 2"
        )
        listed = json.loads(cli("deploy-token", "list", "--project", "shop").stdout)
        assert listed[0]["last_used_at"] is not None
        assert "token" not in listed[0] and token not in json.dumps(listed)
        shown = json.loads(cli("deploy", "list", "--project", "shop").stdout)
        assert [d["release"] for d in shown] == ["v2.1.1", "v2.1.0"]

    async def test_a_unicode_release_is_stored_as_sent(
        self,
        admin: AsyncTestClient,
        make_token,
        db: asyncpg.Connection,  # type: ignore[no-untyped-def]
    ) -> None:
        token = make_token("shop")
        name = "räksmörgås-🚀-" + "ü" * 48  # 64 code points
        response = await admin.post("/v1/projects/shop/deploys", headers=bearer(token),
                                    json={"release": name})  # fmt: skip
        assert response.status_code == 201 and response.json()["release"] == name
        assert await db.fetchval("SELECT release FROM deploys") == name


class TestHostileCredentials:
    @pytest.mark.parametrize(
        ("headers", "status"),
        [
            ({}, 401),
            ({"Authorization": "Basic dXNlcjpwYXNz"}, 401),
            ({"Authorization": "Bearer "}, 401),
            ({"Authorization": "Bearer vdt_" + "A" * 43}, 401),  # well formed, unknown
            ({"Authorization": "Bearer vdt_" + "A" * 5000}, 401),  # oversized
            ({"Authorization": "Bearer vk_notadeploytoken"}, 401),  # an ingest key's shape
        ],
    )
    async def test_no_live_token_no_write(
        self, admin: AsyncTestClient, make_token, db: asyncpg.Connection,  # type: ignore[no-untyped-def]
        headers: dict[str, str], status: int,
    ) -> None:  # fmt: skip
        """Each answered with the stable error and a challenge; nothing written."""
        make_token("shop")
        response = await admin.post("/v1/projects/shop/deploys", headers=headers,
                                    json={"release": "v1"})  # fmt: skip
        assert response.status_code == status
        assert response.json()["error"] == "invalid_deploy_token"
        assert "www-authenticate" in response.headers
        assert await db.fetchval("SELECT count(*) FROM deploys") == 0

    async def test_a_token_of_project_a_cannot_write_to_project_b(
        self,
        admin: AsyncTestClient,
        make_token,
        db: asyncpg.Connection,  # type: ignore[no-untyped-def]
    ) -> None:
        """By slug, by id, or a project that does not exist: the same 403, nothing written
        to either project (so a token reveals nothing of other projects)."""
        token_a = make_token("alpha")
        make_token("beta")
        for path in ("beta", "2", "nosuch", "999999", "0", "-1", "1 OR 1=1", "alpha%00"):
            response = await admin.post(f"/v1/projects/{path}/deploys", headers=bearer(token_a),
                                        json={"release": "evil"})  # fmt: skip
            assert response.status_code == 403, (path, response.text)
            assert response.json()["error"] == "forbidden_project"
        assert await db.fetchval("SELECT count(*) FROM deploys") == 0

    async def test_a_revoked_token_stops_at_once(
        self,
        admin: AsyncTestClient,
        make_token,
        cli,
        db: asyncpg.Connection,  # type: ignore[no-untyped-def]
    ) -> None:
        token = make_token("shop")
        ok = await admin.post(
            "/v1/projects/shop/deploys", headers=bearer(token), json={"release": "v1"}
        )
        assert ok.status_code == 201
        cli("deploy-token", "revoke", "--project", "shop", "1")
        refused = await admin.post("/v1/projects/shop/deploys", headers=bearer(token),
                                   json={"release": "v2"})  # fmt: skip
        assert refused.status_code == 401
        assert [r["release"] for r in await db.fetch("SELECT release FROM deploys")] == ["v1"]


class TestHostileBodies:
    @pytest.mark.parametrize(
        ("body", "status"),
        [
            (b"not json", 400),
            (b"", 400),
            (b"[]", 400),
            (b'{"release": 5}', 400),
            (b"{}", 400),
            (b'{"release": ""}', 400),
            (json.dumps({"release": "x" * 65}).encode(), 400),
            (b'{"release": "v1\\u0000"}', 400),
            (b'{"release": "v1", "url": "https://x/\\u0000"}', 400),
            (b'{"release": "v1", "at": "yesterday"}', 400),
            (b'{"release": "v1", "at": "2026-13-45T99:00:00Z"}', 400),
            (b'{"release": "v1", "at": "\\u0000"}', 400),
            (json.dumps({"release": "v1", "description": "d" * 1001}).encode(), 400),
            (json.dumps({"release": "v1", "project_id": 2}).encode(), 400),  # no smuggling
            (b'{"release": "\xff\xfe"}', 400),
            (json.dumps({"release": "v1", "description": "d" * 20_000}).encode(), 413),
        ],
    )
    async def test_refused_with_a_stable_error_and_nothing_written(
        self, admin: AsyncTestClient, make_token, db: asyncpg.Connection,  # type: ignore[no-untyped-def]
        body: bytes, status: int,
    ) -> None:  # fmt: skip
        token = make_token("shop")
        response = await admin.post(
            "/v1/projects/shop/deploys", content=body,
            headers={**bearer(token), "Content-Type": "application/json"},
        )  # fmt: skip
        assert response.status_code == status, response.text
        assert set(response.json()) >= {"error", "detail"}
        assert await db.fetchval("SELECT count(*) FROM deploys") == 0


class TestTheAdminRole:
    async def test_it_can_write_deploys_and_nothing_else(
        self,
        settings,
        db: asyncpg.Connection,  # type: ignore[no-untyped-def]
    ) -> None:
        """The service's login: a bug or an injection in it cannot read passwords or delete
        data. (Projects, keys and users it now writes for the admin API, migration 0019:
        tests/admin/test_admin_login.py.)"""
        connection = await asyncpg.connect(settings.admin_url)
        try:
            for statement in (
                "SELECT password_hash FROM users",
                "DELETE FROM deploys",
                "SELECT label FROM deploy_tokens",
                "DELETE FROM vitals",
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await connection.execute(statement)
        finally:
            await connection.close()
