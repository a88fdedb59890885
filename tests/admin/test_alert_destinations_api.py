"""/v1/projects/{id}/alerts/destinations on the admin service (issue 14): webhooks made by a
project's admins, their signing secret shown once, and URLs that would reach our own
network refused unless a setting allows them."""

from __future__ import annotations

import json

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from services.admin.app import create_app
from services.contracts.settings import Settings
from tests.admin.alerting import PUBLIC_URL, make_project, project_headers

DESTINATIONS = "/v1/projects/{}/alerts/destinations"
COUNT = "SELECT count(*) FROM alert_destinations"
HOOK = {"name": "#web-perf", "url": PUBLIC_URL, "format": "slack"}


@pytest.fixture
async def shop(db: asyncpg.Connection) -> int:
    return await make_project(db, "shop")


@pytest.fixture
def admin_headers(settings: Settings, shop: int) -> dict[str, str]:
    return project_headers(settings, {shop: "admin"})


class TestCreating:
    async def test_the_secret_is_answered_once_and_stored_for_signing(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], db: asyncpg.Connection,  # type: ignore[type-arg]
        settings: Settings, shop: int,
    ) -> None:  # fmt: skip
        """201 with a fresh vwh_ secret (32 random bytes) and the destination, which shows
        the URL's origin only; the list, even to the admin, never shows either again."""
        response = await admin.post(DESTINATIONS.format(shop), headers=admin_headers, json=HOOK)
        assert response.status_code == 201, response.text
        created = response.json()
        secret = created["secret"]
        assert secret.startswith("vwh_") and len(secret) == 4 + 43
        assert created["destination"] == {
            "id": 1, "project_id": shop, "name": "#web-perf", "format": "slack",
            "url_origin": "https://93.184.215.14", "created_at": created["destination"]["created_at"],
        }  # fmt: skip
        row = await db.fetchrow("SELECT url, secret FROM alert_destinations")
        assert (row["url"], row["secret"]) == (PUBLIC_URL, secret)
        viewer = project_headers(settings, {shop: "viewer"})
        for headers in (admin_headers, viewer):
            listed = await admin.get(DESTINATIONS.format(shop), headers=headers)
            assert listed.status_code == 200 and listed.json() == [created["destination"]]
            assert secret not in listed.text and "/hooks/" not in listed.text

    async def test_each_destination_has_its_own_secret_and_the_generic_format_by_default(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], shop: int,  # type: ignore[type-arg]
    ) -> None:  # fmt: skip
        secrets = set()
        for n in range(3):
            response = await admin.post(DESTINATIONS.format(shop), headers=admin_headers,
                                        json={"name": f"hook {n}", "url": PUBLIC_URL})  # fmt: skip
            assert response.json()["destination"]["format"] == "generic"
            secrets.add(response.json()["secret"])
        assert len(secrets) == 3

    async def test_names_are_unique_and_destinations_capped(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], db: asyncpg.Connection,  # type: ignore[type-arg]
        shop: int,
    ) -> None:  # fmt: skip
        await admin.post(DESTINATIONS.format(shop), headers=admin_headers, json=HOOK)
        twin = await admin.post(DESTINATIONS.format(shop), headers=admin_headers, json=HOOK)
        assert (twin.status_code, twin.json()["error"]) == (409, "alert_destination_exists")
        for n in range(19):
            await admin.post(DESTINATIONS.format(shop), headers=admin_headers,
                             json=HOOK | {"name": f"more {n}"})  # fmt: skip
        over = await admin.post(DESTINATIONS.format(shop), headers=admin_headers,
                                json=HOOK | {"name": "one too many"})  # fmt: skip
        assert (over.status_code, over.json()["error"]) == (409, "too_many_alert_destinations")
        assert await db.fetchval(COUNT) == 20

    async def test_delete_removes_only_ones_own_projects_destination(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], db: asyncpg.Connection,  # type: ignore[type-arg]
        settings: Settings, shop: int,
    ) -> None:  # fmt: skip
        other = await make_project(db, "other")
        other_admin = project_headers(settings, {other: "admin"})
        await admin.post(DESTINATIONS.format(other), headers=other_admin, json=HOOK)
        await admin.post(DESTINATIONS.format(shop), headers=admin_headers, json=HOOK)
        foreign = await admin.delete(DESTINATIONS.format(shop) + "/1", headers=admin_headers)
        assert (foreign.status_code, foreign.json()["error"]) == (
            404,
            "alert_destination_not_found",
        )
        own = await admin.delete(DESTINATIONS.format(shop) + "/2", headers=admin_headers)
        assert own.status_code == 204
        again = await admin.delete(DESTINATIONS.format(shop) + "/2", headers=admin_headers)
        assert again.status_code == 404
        assert [
            r["project_id"] for r in await db.fetch("SELECT project_id FROM alert_destinations")
        ] == [other]


class TestWhoMay:
    async def test_a_viewer_reads_but_may_not_create_or_delete(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], db: asyncpg.Connection,  # type: ignore[type-arg]
        settings: Settings, shop: int,
    ) -> None:  # fmt: skip
        await admin.post(DESTINATIONS.format(shop), headers=admin_headers, json=HOOK)
        viewer = project_headers(settings, {shop: "viewer"})
        assert (await admin.get(DESTINATIONS.format(shop), headers=viewer)).status_code == 200
        for method, path in (("POST", ""), ("DELETE", "/1")):
            response = await admin.request(method, DESTINATIONS.format(shop) + path,
                                           headers=viewer, json=HOOK | {"name": "mine"})  # fmt: skip
            assert (response.status_code, response.json()["error"]) == (403, "forbidden_role")
        assert await db.fetchval(COUNT) == 1

    async def test_no_token_or_another_projects_token_writes_nothing(
        self, admin: AsyncTestClient, db: asyncpg.Connection, settings: Settings, shop: int,  # type: ignore[type-arg]
    ) -> None:  # fmt: skip
        anonymous = await admin.post(DESTINATIONS.format(shop), json=HOOK)
        assert (anonymous.status_code, anonymous.json()["error"]) == (401, "invalid_token")
        other = await make_project(db, "other")
        elsewhere = project_headers(settings, {other: "admin"})
        for method in ("GET", "POST"):
            response = await admin.request(method, DESTINATIONS.format(shop), headers=elsewhere,
                                           json=HOOK)  # fmt: skip
            assert (response.status_code, response.json()["error"]) == (403, "forbidden_project")
        assert await db.fetchval(COUNT) == 0


PRIVATE_URLS = [
    "http://localhost/hook",  # a name that resolves to 127.0.0.1
    "http://LOCALHOST:8080/hook",
    "http://127.0.0.1/hook",
    "http://127.1/hook",
    "http://2130706433/hook",  # 127.0.0.1 as one number
    "http://0x7f000001/hook",
    "http://0177.0.0.1/hook",
    "http://0.0.0.0/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://224.0.0.1/hook",
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:7f00:1]/hook",
    "http://[::ffff:169.254.169.254]/hook",
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://[ff02::1]/hook",
    "http://[2002:7f00:1::1]/hook",  # 6to4 of 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of 169.254.169.254
]
MALFORMED_URLS = [
    "ftp://93.184.215.14/hook",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "gopher://93.184.215.14:70/",
    "//93.184.215.14/hook",
    "93.184.215.14/hook",
    "https://",
    "https:///hook",
    "https://user:password@93.184.215.14/hook",
    "https://93.184.215.14:99999/hook",
    "https://93.184.215.14/a b",
    "https://93.184.215.14/\r\nX-Injected: 1",
    "https://93.184.215.14/\x00",
    "https://hooks.invalid/never-resolves",
    "",
    "https://93.184.215.14/" + "p" * 2048,
]


class TestDestinationUrls:
    @pytest.mark.parametrize("url", PRIVATE_URLS + MALFORMED_URLS)
    async def test_refused_with_400_and_nothing_stored(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], db: asyncpg.Connection,  # type: ignore[type-arg]
        shop: int, url: str,
    ) -> None:  # fmt: skip
        response = await admin.post(DESTINATIONS.format(shop), headers=admin_headers,
                                    json={"name": "hook", "url": url})  # fmt: skip
        assert response.status_code == 400, (url, response.text)
        assert response.json()["error"] == "invalid_alert_destination"
        assert await db.fetchval(COUNT) == 0

    @pytest.mark.parametrize(
        "url", ["http://127.0.0.1:9/hook", "http://localhost:8080/h", "http://[::1]/h"]
    )
    async def test_the_setting_allows_private_addresses_and_nothing_else(
        self, settings: Settings, db: asyncpg.Connection, shop: int, url: str,
    ) -> None:  # fmt: skip
        """VITALS_ALERTS_ALLOW_PRIVATE_DESTINATIONS: a receiver on this host is accepted;
        a scheme other than http(s) still is not."""
        allowing = msgspec.structs.replace(settings, alerts_allow_private_destinations=True)
        headers = project_headers(settings, {shop: "admin"})
        async with AsyncTestClient(create_app(allowing)) as client:
            ok = await client.post(DESTINATIONS.format(shop), headers=headers,
                                   json={"name": "local", "url": url})  # fmt: skip
            assert ok.status_code == 201, ok.text
            ftp = await client.post(DESTINATIONS.format(shop), headers=headers,
                                    json={"name": "ftp", "url": "ftp://127.0.0.1/"})  # fmt: skip
            assert ftp.status_code == 400
        assert await db.fetchval("SELECT url FROM alert_destinations") == url


class TestHostileBodies:
    @pytest.mark.parametrize(
        ("body", "status"),
        [
            (b"not json", 400),
            (b"[]", 400),
            (b"{}", 400),
            (json.dumps({"url": PUBLIC_URL}).encode(), 400),
            (json.dumps(HOOK | {"format": "teams"}).encode(), 400),
            (json.dumps(HOOK | {"format": None}).encode(), 400),
            (json.dumps(HOOK | {"name": "a\x00b"}).encode(), 400),
            (json.dumps(HOOK | {"name": ""}).encode(), 400),
            (json.dumps(HOOK | {"url": 5}).encode(), 400),
            (json.dumps(HOOK | {"secret": "vwh_" + "a" * 43}).encode(), 400),  # not chosen
            (json.dumps(HOOK | {"project_id": 2}).encode(), 400),
            (b'{"name": "x", "url": "\xff"}', 400),
            (json.dumps(HOOK | {"name": "n" * 20_000}).encode(), 413),
        ],
    )
    async def test_refused_with_a_stable_error_and_nothing_written(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], db: asyncpg.Connection,  # type: ignore[type-arg]
        shop: int, body: bytes, status: int,
    ) -> None:  # fmt: skip
        response = await admin.post(
            DESTINATIONS.format(shop), content=body,
            headers={**admin_headers, "Content-Type": "application/json"},
        )  # fmt: skip
        assert response.status_code == status, response.text
        assert set(response.json()) >= {"error", "detail"}
        assert await db.fetchval(COUNT) == 0


class TestTheLogins:
    async def test_the_query_login_reads_rules_and_destinations_but_no_secret_or_url(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], settings: Settings,  # type: ignore[type-arg]
        shop: int,
    ) -> None:  # fmt: skip
        await admin.post(DESTINATIONS.format(shop), headers=admin_headers, json=HOOK)
        reader = await asyncpg.connect(settings.query_url)
        try:
            assert await reader.fetchval("SELECT count(*) FROM alert_rules") == 0
            row = await reader.fetchrow(
                "SELECT id, project_id, name, url_origin, format, created_at FROM alert_destinations"
            )
            assert row is not None and row["url_origin"] == "https://93.184.215.14"
            for statement in (
                "SELECT secret FROM alert_destinations",
                "SELECT url FROM alert_destinations",
                "SELECT * FROM alert_destinations",
                "SELECT count(*) FROM alert_destinations WHERE secret LIKE 'vwh_a%'",
                "INSERT INTO alert_rules (project_id, name, kind, silence_minutes)"
                " VALUES (1, 'x', 'silence', 30)",
                "DELETE FROM alert_destinations",
                "UPDATE user_projects SET role = 'admin'",
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await reader.execute(statement)
        finally:
            await reader.close()

    async def test_the_admin_login_writes_alerts_but_reads_no_secret_url_or_password(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], settings: Settings,  # type: ignore[type-arg]
        shop: int,
    ) -> None:  # fmt: skip
        await admin.post(DESTINATIONS.format(shop), headers=admin_headers, json=HOOK)
        login = await asyncpg.connect(settings.admin_url)
        try:
            for statement in (
                "SELECT secret FROM alert_destinations",
                "SELECT url FROM alert_destinations",
                "UPDATE alert_destinations SET url = 'http://127.0.0.1/'",
                "SELECT password_hash FROM users",
                # Users and their roles it now writes for the members and users endpoints
                # (migration 0019; tests/admin/test_admin_login.py).
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await login.execute(statement)
        finally:
            await login.close()
