"""POST /v1/projects/{id}/alerts/destinations/{destination_id}/test on the admin service
(issue 14): a project's admin asks for a test notification, which is an event and one
delivery in the outbox; the workers' sender then delivers it, signed with the secret the
admin was shown when the destination was made."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from services.admin.app import create_app
from services.contracts.database import create_pool
from services.contracts.settings import Settings
from services.workers.alerts.delivery import deliver_pending
from tests.admin.alerting import make_project, make_user, project_headers, user_headers
from tests.support.webhook_receiver import Receiver

DESTINATIONS = "/v1/projects/{}/alerts/destinations"
TEST = DESTINATIONS + "/{}/test"
COUNTS = "SELECT (SELECT count(*) FROM alert_events), (SELECT count(*) FROM alert_deliveries)"


@pytest.fixture
def private(settings: Settings) -> Settings:
    """The receiver runs on 127.0.0.1."""
    return msgspec.structs.replace(settings, alerts_allow_private_destinations=True)


@pytest.fixture
async def admin(private: Settings) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(create_app(private)) as client:
        yield client


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = await Receiver().start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def shop(db: asyncpg.Connection) -> int:
    return await make_project(db, "shop")


@pytest.fixture
def admin_headers(settings: Settings, shop: int) -> dict[str, str]:
    return project_headers(settings, {shop: "admin"})


async def make_destination(
    admin: AsyncTestClient, headers: dict[str, str], project: int, url: str,  # type: ignore[type-arg]
    fmt: str = "generic",
) -> tuple[int, str]:  # fmt: skip
    """Made through the API: its id and the secret shown once."""
    response = await admin.post(DESTINATIONS.format(project), headers=headers,
                                json={"name": f"hook {fmt}", "url": url, "format": fmt})  # fmt: skip
    assert response.status_code == 201, response.text
    created = response.json()
    return created["destination"]["id"], created["secret"]


async def send_pending(settings: Settings) -> None:
    """What a worker's next delivery job does."""
    pool = await create_pool(settings, "workers-test", min_size=0, max_size=2)
    try:
        await deliver_pending(pool, settings)
    finally:
        await pool.close()


class TestSendingATest:
    async def test_a_test_notification_is_queued_and_then_delivered_signed(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], db: asyncpg.Connection,  # type: ignore[type-arg]
        private: Settings, shop: int, receiver: Receiver,
    ) -> None:  # fmt: skip
        """202 with the delivery's id and idempotency key; the outbox holds a 'test' event
        (no rule) and its pending delivery; the sender delivers it as `alert.test` with that
        key, signed with the destination's secret and linking to the Alerts view."""
        hook, secret = await make_destination(admin, admin_headers, shop, receiver.url)
        response = await admin.post(TEST.format(shop, hook), headers=admin_headers)
        assert response.status_code == 202, response.text
        answered = response.json()
        assert set(answered) == {"delivery_id", "idempotency_key", "status"}
        assert answered["status"] == "pending"
        stored = await db.fetchrow(
            """SELECT d.id, d.idempotency_key::text AS key, d.status, d.destination_id,
                      e.project_id, e.rule_id, e.transition
               FROM alert_deliveries d JOIN alert_events e ON e.id = d.event_id"""
        )  # fmt: skip
        assert dict(stored) == {
            "id": answered["delivery_id"], "key": answered["idempotency_key"],
            "status": "pending", "destination_id": hook, "project_id": shop, "rule_id": None,
            "transition": "test",
        }  # fmt: skip
        assert receiver.requests == []
        await send_pending(private)
        [got] = receiver.requests
        assert got.key == answered["idempotency_key"] and got.signed_by(secret)
        body = got.json()
        assert (body["type"], body["rule"], body["project"]) == (
            "alert.test", None, {"id": shop, "slug": "shop"},
        )  # fmt: skip
        assert body["summary"].startswith("Test notification: ")
        assert body["link"] == f"{private.dashboard_url}/?project={shop}&view=alerts"
        status = await db.fetchval("SELECT status FROM alert_deliveries")
        assert status == "delivered"

    async def test_a_slack_destination_gets_a_slack_message(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], private: Settings,  # type: ignore[type-arg]
        shop: int, receiver: Receiver,
    ) -> None:  # fmt: skip
        hook, secret = await make_destination(admin, admin_headers, shop, receiver.url, "slack")
        assert (await admin.post(TEST.format(shop, hook), headers=admin_headers)).status_code == 202
        await send_pending(private)
        [got] = receiver.requests
        text = got.json()["text"]
        assert text.startswith(":bell: Test notification: ") and "shop" in text
        assert got.signed_by(secret)

    async def test_each_test_is_a_notification_of_its_own(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], db: asyncpg.Connection,  # type: ignore[type-arg]
        shop: int, receiver: Receiver,
    ) -> None:  # fmt: skip
        """Pressing the button twice makes two events and two deliveries, with two keys."""
        hook, _ = await make_destination(admin, admin_headers, shop, receiver.url)
        keys = {
            (await admin.post(TEST.format(shop, hook), headers=admin_headers)).json()[
                "idempotency_key"
            ]
            for _ in range(2)
        }
        assert len(keys) == 2 and tuple(await db.fetchrow(COUNTS)) == (2, 2)


class TestWhoMay:
    async def test_a_viewer_may_not_and_a_user_admin_may(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], db: asyncpg.Connection,  # type: ignore[type-arg]
        settings: Settings, shop: int, receiver: Receiver,
    ) -> None:  # fmt: skip
        """A viewer's token is 403 forbidden_role and makes nothing; a signed-in user whose
        role in the project is admin is answered 202."""
        hook, _ = await make_destination(admin, admin_headers, shop, receiver.url)
        viewer = project_headers(settings, {shop: "viewer"})
        refused = await admin.post(TEST.format(shop, hook), headers=viewer)
        assert (refused.status_code, refused.json()["error"]) == (403, "forbidden_role")
        assert tuple(await db.fetchrow(COUNTS)) == (0, 0)
        user = await make_user(db, "ops@example.com", {shop: "admin"})
        allowed = await admin.post(TEST.format(shop, hook),
                                   headers=user_headers(settings, user, {shop: "admin"}))  # fmt: skip
        assert allowed.status_code == 202
        assert tuple(await db.fetchrow(COUNTS)) == (1, 1)

    @pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nonsense"}])
    async def test_no_valid_token_is_401(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], db: asyncpg.Connection,  # type: ignore[type-arg]
        shop: int, receiver: Receiver, headers: dict[str, Any],
    ) -> None:  # fmt: skip
        hook, _ = await make_destination(admin, admin_headers, shop, receiver.url)
        response = await admin.post(TEST.format(shop, hook), headers=headers)
        assert (response.status_code, response.json()["error"]) == (401, "invalid_token")
        assert tuple(await db.fetchrow(COUNTS)) == (0, 0)

    async def test_another_projects_or_a_missing_destination_is_404(
        self, admin: AsyncTestClient, admin_headers: dict[str, str], db: asyncpg.Connection,  # type: ignore[type-arg]
        settings: Settings, shop: int, receiver: Receiver,
    ) -> None:  # fmt: skip
        """An admin of shop naming blog's destination (or none, or an id past bigint) is
        answered 404 alert_destination_not_found, and nothing is queued for anyone."""
        blog = await make_project(db, "blog")
        blog_admin = project_headers(settings, {blog: "admin"})
        theirs, _ = await make_destination(admin, blog_admin, blog, receiver.url)
        for destination_id in (theirs, theirs + 1, 2**63):
            response = await admin.post(TEST.format(shop, destination_id), headers=admin_headers)
            assert (response.status_code, response.json()["error"]) == (
                404, "alert_destination_not_found",
            ), destination_id  # fmt: skip
        other = await admin.post(TEST.format(blog, theirs), headers=admin_headers)
        assert (other.status_code, other.json()["error"]) == (403, "forbidden_project")
        assert tuple(await db.fetchrow(COUNTS)) == (0, 0)
