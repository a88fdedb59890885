"""/v1/projects/{id}/alerts/rules on the admin service (issue 14): a project's admins write
rules, anyone it is granted to reads them, and every hostile or broken request is refused
with a stable error and nothing written."""

from __future__ import annotations

import json
import time
from typing import Any

import asyncpg
import jwt
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from services.admin.app import create_app
from services.contracts.settings import Settings
from tests.admin.alerting import (
    REGRESSION,
    SILENCE,
    THRESHOLD,
    make_project,
    make_user,
    project_headers,
    user_headers,
)  # fmt: skip

RULES = "/v1/projects/{}/alerts/rules"
COUNT = "SELECT count(*) FROM alert_rules"


@pytest.fixture
async def shop(db: asyncpg.Connection) -> int:
    return await make_project(db, "shop")


@pytest.fixture
async def other(db: asyncpg.Connection, shop: int) -> int:
    return await make_project(db, "other")


@pytest.fixture
async def admin_headers(db: asyncpg.Connection, settings: Settings, shop: int) -> dict[str, str]:
    user = await make_user(db, "ann@example.com", {shop: "admin"})
    return user_headers(settings, user, {shop: "admin"})


@pytest.fixture
async def viewer_headers(db: asyncpg.Connection, settings: Settings, shop: int) -> dict[str, str]:
    user = await make_user(db, "vic@example.com", {shop: "viewer"})
    return user_headers(settings, user, {shop: "viewer"})


async def create(client: AsyncTestClient, project: int, headers: dict[str, str],  # type: ignore[type-arg]
                 body: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    response = await client.post(RULES.format(project), headers=headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


class TestWritingRules:
    async def test_an_admin_creates_a_threshold_rule_with_quiet_defaults(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], db: asyncpg.Connection,  # type: ignore[type-arg]
        shop: int,
    ) -> None:  # fmt: skip
        """201 with the stored rule: the defaults filled (p75, enabled, hysteresis, resolve
        period, cooldown), other kinds' fields absent, and the row as answered."""
        rule = await create(admin, shop, admin_headers, THRESHOLD)
        assert rule["id"] == 1 and rule["project_id"] == shop
        assert {k: rule[k] for k in THRESHOLD} == THRESHOLD
        assert (rule["statistic"], rule["enabled"], rule["hysteresis_ratio"]) == ("p75", True, 0.1)
        assert (rule["resolve_after_minutes"], rule["cooldown_minutes"]) == (10, 30)
        assert not {"metrics", "devices", "silence_minutes"} & set(rule)
        row = await db.fetchrow("SELECT * FROM alert_rules WHERE id = 1")
        assert (row["metric"], row["threshold"], row["route"], row["country"]) == (
            "LCP", 4000, "/checkout", "DE",
        )  # fmt: skip

    async def test_regression_and_silence_rules_are_stored_with_their_own_fields(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], shop: int,  # type: ignore[type-arg]
    ) -> None:  # fmt: skip
        regression = await create(admin, shop, admin_headers, REGRESSION)
        assert (regression["metrics"], regression["devices"]) == (["LCP", "INP"], ["mobile"])
        assert "metric" not in regression and "threshold" not in regression
        silence = await create(admin, shop, admin_headers, SILENCE)
        assert silence["silence_minutes"] == 20 and "metrics" not in silence
        everything = await create(admin, shop, admin_headers, {"kind": "regression", "name": "any"})
        assert "metrics" not in everything and "devices" not in everything

    async def test_a_viewer_reads_the_list_and_one_rule(
        self, admin: AsyncTestClient, admin_headers: dict[str, str],  # type: ignore[type-arg]
        viewer_headers: dict[str, str], shop: int,
    ) -> None:  # fmt: skip
        first = await create(admin, shop, admin_headers, THRESHOLD)
        second = await create(admin, shop, admin_headers, SILENCE)
        listed = await admin.get(RULES.format(shop), headers=viewer_headers)
        assert listed.status_code == 200 and listed.json() == [first, second]
        one = await admin.get(RULES.format(shop) + "/2", headers=viewer_headers)
        assert one.status_code == 200 and one.json() == second

    async def test_patch_changes_only_the_fields_sent_and_null_clears_a_filter(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], db: asyncpg.Connection,  # type: ignore[type-arg]
        shop: int,
    ) -> None:  # fmt: skip
        before = await create(admin, shop, admin_headers, THRESHOLD)
        response = await admin.patch(
            RULES.format(shop) + "/1", headers=admin_headers,
            json={"threshold": 3000, "route": None, "enabled": False},
        )  # fmt: skip
        assert response.status_code == 200, response.text
        after = response.json()
        assert (after["threshold"], after["enabled"], "route" in after) == (3000, False, False)
        assert {k: v for k, v in after.items() if k not in {"threshold", "enabled", "route",
                                                            "updated_at"}} == {
            k: v for k, v in before.items() if k not in {"threshold", "enabled", "route",
                                                         "updated_at"}
        }  # fmt: skip
        assert after["updated_at"] > before["updated_at"]
        assert await db.fetchval("SELECT route FROM alert_rules WHERE id = 1") is None

    @pytest.mark.parametrize(
        "changes",
        [
            {"kind": "silence"},
            {"statistic": "good_share"},  # the threshold of 4000 is no fraction
            {"silence_minutes": 10},  # not a threshold's field
            {"window_minutes": -5},
            {"name": None},
            {"id": 7},
            {"project_id": 2},
        ],
    )
    async def test_a_patch_that_would_make_an_invalid_rule_changes_nothing(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], db: asyncpg.Connection,  # type: ignore[type-arg]
        shop: int, changes: dict[str, Any],
    ) -> None:  # fmt: skip
        await create(admin, shop, admin_headers, THRESHOLD)
        stored = await db.fetchrow("SELECT * FROM alert_rules")
        response = await admin.patch(RULES.format(shop) + "/1", headers=admin_headers,
                                     json=changes)  # fmt: skip
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_alert_rule"
        assert await db.fetchrow("SELECT * FROM alert_rules") == stored

    async def test_delete_removes_the_rule_once(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], db: asyncpg.Connection,  # type: ignore[type-arg]
        shop: int,
    ) -> None:  # fmt: skip
        await create(admin, shop, admin_headers, THRESHOLD)
        deleted = await admin.delete(RULES.format(shop) + "/1", headers=admin_headers)
        assert deleted.status_code == 204 and await db.fetchval(COUNT) == 0
        again = await admin.delete(RULES.format(shop) + "/1", headers=admin_headers)
        assert (again.status_code, again.json()["error"]) == (404, "alert_rule_not_found")
        gone = await admin.get(RULES.format(shop) + "/1", headers=admin_headers)
        assert gone.status_code == 404

    async def test_names_are_unique_per_project_and_rules_are_capped(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], db: asyncpg.Connection,  # type: ignore[type-arg]
        shop: int,
    ) -> None:  # fmt: skip
        """A second rule of the same name is 409; so is the 101st rule of a project."""
        await create(admin, shop, admin_headers, THRESHOLD)
        twin = await admin.post(RULES.format(shop), headers=admin_headers, json=THRESHOLD)
        assert (twin.status_code, twin.json()["error"]) == (409, "alert_rule_exists")
        await db.execute(
            "INSERT INTO alert_rules (project_id, name, kind, silence_minutes)"
            " SELECT $1, 'quiet ' || n, 'silence', 30 FROM generate_series(1, 99) AS n", shop
        )  # fmt: skip
        over = await admin.post(RULES.format(shop), headers=admin_headers, json=SILENCE)
        assert (over.status_code, over.json()["error"]) == (409, "too_many_alert_rules")
        assert await db.fetchval(COUNT) == 100

    async def test_sql_in_a_name_or_route_is_stored_as_text(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], db: asyncpg.Connection,  # type: ignore[type-arg]
        shop: int,
    ) -> None:  # fmt: skip
        hostile = "x'); DROP TABLE alert_rules; --"
        body = THRESHOLD | {"name": hostile, "route": "/' OR 1=1 --", "browser": 'Ch"rome;'}
        rule = await create(admin, shop, admin_headers, body)
        assert (rule["name"], rule["route"]) == (hostile, "/' OR 1=1 --")
        assert await db.fetchval("SELECT name FROM alert_rules") == hostile


class TestWhoMayWrite:
    @pytest.mark.parametrize(
        "headers",
        [
            {},
            {"Authorization": "Basic dXNlcjpwYXNz"},
            {"Authorization": "Bearer "},
            {"Authorization": "Bearer not.a.jwt"},
            {"Authorization": "Bearer " + "A" * 5000},
        ],
    )
    async def test_no_valid_token_is_401_and_nothing_is_written(
        self, admin: AsyncTestClient, db: asyncpg.Connection, shop: int,  # type: ignore[type-arg]
        headers: dict[str, str],
    ) -> None:  # fmt: skip
        for method in ("GET", "POST"):
            response = await admin.request(method, RULES.format(shop), headers=headers,
                                           json=THRESHOLD)  # fmt: skip
            assert response.status_code == 401, response.text
            assert response.json()["error"] == "invalid_token"
            assert "www-authenticate" in response.headers
        assert await db.fetchval(COUNT) == 0

    @pytest.mark.parametrize(
        "claims",
        [
            {"exp": -60, "iat": -3600},  # expired
            {"secret": "another-secret-that-is-long-enough-for-hs256"},  # forged
            {"roles": {"2": "admin"}},  # a role in a project it does not grant
            {"roles": {"1": "owner"}},  # no such role
            {"roles": {"01": "admin"}},  # not the project's id as minted
            {"aud": "someone-else"},
            {"exp": 90_000, "iat": 0},  # longer-lived than the cap
        ],
    )
    async def test_a_token_that_is_not_ours_as_minted_is_401(
        self, admin: AsyncTestClient, db: asyncpg.Connection, settings: Settings, shop: int,  # type: ignore[type-arg]
        claims: dict[str, Any],
    ) -> None:  # fmt: skip
        now = int(time.time())
        payload: dict[str, Any] = {
            "sub": "mallory", "projects": [shop], "iss": settings.jwt_issuer,
            "aud": claims.get("aud", settings.jwt_audience), "roles": {"1": "admin"},
            "iat": now + claims.get("iat", 0), "exp": now + claims.get("exp", 600),
        }  # fmt: skip
        payload["roles"] = claims.get("roles", payload["roles"])
        secret = claims.get("secret", settings.jwt_secret)
        token = jwt.encode(payload, secret, algorithm="HS256")
        response = await admin.post(RULES.format(shop), json=THRESHOLD,
                                    headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert response.status_code == 401, response.text
        assert await db.fetchval(COUNT) == 0

    async def test_an_unsigned_token_is_401(
        self, admin: AsyncTestClient, db: asyncpg.Connection, settings: Settings, shop: int,  # type: ignore[type-arg]
    ) -> None:  # fmt: skip
        now = int(time.time())
        payload = {"sub": "m", "projects": [shop], "iss": settings.jwt_issuer,
                   "aud": settings.jwt_audience, "iat": now, "exp": now + 60,
                   "roles": {str(shop): "admin"}}  # fmt: skip
        token = jwt.encode(payload, None, algorithm="none")
        response = await admin.post(RULES.format(shop), json=THRESHOLD,
                                    headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert response.status_code == 401 and await db.fetchval(COUNT) == 0

    async def test_a_viewer_may_not_write(
        self, admin: AsyncTestClient, admin_headers: dict[str, str],  # type: ignore[type-arg]
        viewer_headers: dict[str, str], db: asyncpg.Connection, shop: int,
    ) -> None:  # fmt: skip
        """POST, PATCH and DELETE by a viewer are 403 forbidden_role; the rule is unchanged."""
        await create(admin, shop, admin_headers, THRESHOLD)
        stored = await db.fetchrow("SELECT * FROM alert_rules")
        for method, path in (("POST", ""), ("PATCH", "/1"), ("DELETE", "/1")):
            response = await admin.request(method, RULES.format(shop) + path,
                                           headers=viewer_headers, json=SILENCE)  # fmt: skip
            assert response.status_code == 403, (method, response.text)
            assert response.json()["error"] == "forbidden_role"
        assert [await db.fetchrow("SELECT * FROM alert_rules")] == [stored]
        assert await db.fetchval(COUNT) == 1

    async def test_a_token_minted_before_roles_is_a_viewers(
        self, admin: AsyncTestClient, settings: Settings, db: asyncpg.Connection, shop: int,  # type: ignore[type-arg]
    ) -> None:  # fmt: skip
        """No `roles` claim: it reads, and never writes, even for a user who is admin now."""
        user = await make_user(db, "ann@example.com", {shop: "admin"})
        legacy = {"Authorization": "Bearer " + _without_roles(settings, user, shop)}
        assert (await admin.get(RULES.format(shop), headers=legacy)).status_code == 200
        refused = await admin.post(RULES.format(shop), headers=legacy, json=THRESHOLD)
        assert (refused.status_code, refused.json()["error"]) == (403, "forbidden_role")
        assert await db.fetchval(COUNT) == 0

    async def test_an_admin_project_token_writes(
        self, admin: AsyncTestClient, settings: Settings, db: asyncpg.Connection, shop: int,  # type: ignore[type-arg]
    ) -> None:  # fmt: skip
        """`vitals token --role admin`: no user, the role in the claim."""
        await create(admin, shop, project_headers(settings, {shop: "admin"}), THRESHOLD)
        assert await db.fetchval(COUNT) == 1

    async def test_admin_of_one_project_is_not_admin_of_another(
        self, admin: AsyncTestClient, settings: Settings, db: asyncpg.Connection,  # type: ignore[type-arg]
        shop: int, other: int,
    ) -> None:  # fmt: skip
        """Admin in shop and viewer in other: other's rules are read-only to them, and a
        token that does not grant a project is 403 forbidden_project, read or write."""
        other_admin = project_headers(settings, {other: "admin"})
        await create(admin, other, other_admin, SILENCE)
        mixed = project_headers(settings, {shop: "admin", other: "viewer"})
        refused = await admin.post(RULES.format(other), headers=mixed, json=THRESHOLD)
        assert (refused.status_code, refused.json()["error"]) == (403, "forbidden_role")
        shop_only = project_headers(settings, {shop: "admin"})
        for method, path in (("GET", ""), ("POST", ""), ("GET", "/1"), ("DELETE", "/1"),
                             ("PATCH", "/1")):  # fmt: skip
            response = await admin.request(method, RULES.format(other) + path,
                                           headers=shop_only, json={"name": "mine"})  # fmt: skip
            assert response.status_code == 403, (method, path, response.text)
            assert response.json()["error"] == "forbidden_project"
        for project in ("0", "-1", "999999", "99999999999999999999"):
            response = await admin.get(RULES.format(project), headers=shop_only)
            assert response.status_code in (400, 403, 404), (project, response.text)
            assert set(response.json()) >= {"error", "detail"}
        assert await db.fetchval("SELECT name FROM alert_rules") == "beacons stopped"

    async def test_another_projects_rule_id_is_404_under_ones_own_project(
        self, admin: AsyncTestClient, settings: Settings, db: asyncpg.Connection,  # type: ignore[type-arg]
        shop: int, other: int,
    ) -> None:  # fmt: skip
        """Rule 1 belongs to other: under shop's path it does not exist, for every verb."""
        await create(admin, other, project_headers(settings, {other: "admin"}), SILENCE)
        stored = await db.fetchrow("SELECT * FROM alert_rules")
        shop_admin = project_headers(settings, {shop: "admin"})
        for method in ("GET", "PATCH", "DELETE"):
            response = await admin.request(method, RULES.format(shop) + "/1",
                                           headers=shop_admin, json={"enabled": False})  # fmt: skip
            assert (response.status_code, response.json()["error"]) == (
                404, "alert_rule_not_found",
            ), method  # fmt: skip
        for rule_id in ("0", "-1", "9223372036854775808", "abc", "1%00"):
            response = await admin.get(RULES.format(shop) + f"/{rule_id}", headers=shop_admin)
            assert response.status_code in (400, 404), (rule_id, response.text)
        assert await db.fetchrow("SELECT * FROM alert_rules") == stored

    async def test_a_revoked_users_token_stops(
        self, settings: Settings, db: asyncpg.Connection, shop: int,
    ) -> None:  # fmt: skip
        """`vitals user revoke` (or a demotion) bumps the generation: 401 token_revoked."""
        user = await make_user(db, "ann@example.com", {shop: "admin"})
        headers = user_headers(settings, user, {shop: "admin"})
        uncached = msgspec.structs.replace(settings, token_check_ttl_s=0.0)
        async with AsyncTestClient(create_app(uncached)) as client:
            await create(client, shop, headers, SILENCE)
            await db.execute("UPDATE users SET token_generation = 1 WHERE id = $1", user)
            refused = await client.post(RULES.format(shop), headers=headers, json=THRESHOLD)
            assert (refused.status_code, refused.json()["error"]) == (401, "token_revoked")
        assert await db.fetchval(COUNT) == 1


def _without_roles(settings: Settings, user: int, project: int) -> str:
    """A login token exactly as the query service minted it before roles existed."""
    now = int(time.time())
    payload = {"sub": "ann@example.com", "projects": [project], "iss": settings.jwt_issuer,
               "aud": settings.jwt_audience, "iat": now, "exp": now + 600, "uid": user,
               "gen": 0}  # fmt: skip
    return jwt.encode(payload, settings.jwt_secret, algorithm="HS256")


TOO_DEEP = b'{"kind": "silence", "name": ' + b"[" * 3000 + b"]" * 3000 + b"}"


class TestHostileRuleBodies:
    @pytest.mark.parametrize(
        ("body", "status"),
        [
            (b"not json", 400),
            (b"", 400),
            (b"[]", 400),
            (b"{}", 400),
            (b"null", 400),
            (b'{"name": "x"}', 400),  # no kind
            (b'{"kind": "anomaly", "name": "x"}', 400),
            (b'{"kind": "silence", "name": "x", "project_id": 2}', 400),  # no smuggling
            (b'{"kind": "silence", "name": "x", "id": 9}', 400),
            (b'{"kind": "silence", "name": ""}', 400),
            (json.dumps(SILENCE | {"name": "n" * 101}).encode(), 400),
            (b'{"kind": "silence", "name": "a\\u0000b"}', 400),
            (b'{"kind": "silence", "name": "line\\nbreak"}', 400),
            (b'{"kind": "silence", "name": "\xff\xfe"}', 400),
            (b'{"kind": "silence", "name": 5}', 400),
            (b'{"kind": "silence", "name": "x", "silence_minutes": -30}', 400),
            (b'{"kind": "silence", "name": "x", "silence_minutes": 0}', 400),
            (b'{"kind": "silence", "name": "x", "silence_minutes": "30"}', 400),
            (b'{"kind": "silence", "name": "x", "silence_minutes": 1e3}', 400),
            (b'{"kind": "silence", "name": "x", "metric": "LCP"}', 400),  # another kind's field
            (b'{"kind": "silence", "name": "x", "cooldown_minutes": -1}', 400),
            (b'{"kind": "silence", "name": "x", "hysteresis_ratio": 1.0}', 400),
            (b'{"kind": "silence", "name": "x", "enabled": "yes"}', 400),
            (json.dumps(THRESHOLD | {"metric": "lcp"}).encode(), 400),
            (json.dumps(THRESHOLD | {"metric": "FID"}).encode(), 400),
            (json.dumps(THRESHOLD | {"statistic": "p99"}).encode(), 400),
            (json.dumps(THRESHOLD | {"comparison": ">"}).encode(), 400),
            (json.dumps({k: v for k, v in THRESHOLD.items() if k != "comparison"}).encode(), 400),
            (json.dumps(THRESHOLD | {"threshold": -1}).encode(), 400),
            (json.dumps(THRESHOLD | {"threshold": 1e308}).encode(), 400),
            (json.dumps(THRESHOLD | {"statistic": "good_share", "threshold": 1.5}).encode(), 400),
            (json.dumps(THRESHOLD | {"window_minutes": -60}).encode(), 400),
            (json.dumps(THRESHOLD | {"window_minutes": 4}).encode(), 400),
            (json.dumps(THRESHOLD | {"window_minutes": 10_081}).encode(), 400),
            (json.dumps(THRESHOLD | {"window_minutes": 2**63}).encode(), 400),
            (json.dumps(THRESHOLD | {"min_samples": 0}).encode(), 400),
            (json.dumps(THRESHOLD | {"device": "phone"}).encode(), 400),
            (json.dumps(THRESHOLD | {"country": "de"}).encode(), 400),
            (json.dumps(THRESHOLD | {"country": "DEU"}).encode(), 400),
            (json.dumps(THRESHOLD | {"route": ""}).encode(), 400),
            (json.dumps(THRESHOLD | {"route": "/a\x00"}).encode(), 400),
            (json.dumps(THRESHOLD | {"route": "/" + "r" * 2048}).encode(), 400),
            (json.dumps(THRESHOLD | {"browser": ["Chrome"]}).encode(), 400),
            (json.dumps(THRESHOLD | {"silence_minutes": 30}).encode(), 400),
            (json.dumps(REGRESSION | {"metrics": []}).encode(), 400),
            (json.dumps(REGRESSION | {"metrics": ["LCP", "LCP"]}).encode(), 400),
            (json.dumps(REGRESSION | {"devices": ["mobile", "watch"]}).encode(), 400),
            (json.dumps(REGRESSION | {"route": "/"}).encode(), 400),
            (TOO_DEEP, 400),
            (json.dumps(THRESHOLD | {"route": "/" + "r" * 20_000}).encode(), 413),
        ],
    )
    async def test_refused_with_a_stable_error_and_nothing_written(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], db: asyncpg.Connection,  # type: ignore[type-arg]
        shop: int, body: bytes, status: int,
    ) -> None:  # fmt: skip
        response = await admin.post(
            RULES.format(shop), content=body,
            headers={**admin_headers, "Content-Type": "application/json"},
        )  # fmt: skip
        assert response.status_code == status, response.text
        assert set(response.json()) >= {"error", "detail"}
        if status == 400:
            assert response.json()["error"] == "invalid_alert_rule"
        assert await db.fetchval(COUNT) == 0
