"""The alerts views (issue 14): rules with their state now (firing first), the history of
transitions and the delivery log, newest first in keyset pages, read live from the tables
the evaluator, the sender and the admin service write, only for the token's projects."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from services.contracts.settings import Settings
from tests.query.conftest import bearer
from tests.query.seeding import Seeder

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
SECRET = "vwh_" + "s" * 43
HOOK_URL = "https://hooks.example.com/services/T000/B000/very-secret-path"

INSERT_THRESHOLD = """
INSERT INTO alert_rules (project_id, name, kind, enabled, metric, statistic, comparison,
                         threshold, window_minutes, min_samples, route, device)
VALUES ($1, $2, 'threshold', $3, 'LCP', 'p75', 'above', 2500, 60, 100, $4, $5)
RETURNING id
"""
INSERT_REGRESSION = """
INSERT INTO alert_rules (project_id, name, kind, metrics, devices)
VALUES ($1, $2, 'regression', ARRAY['LCP', 'INP'], ARRAY['mobile']) RETURNING id
"""
INSERT_SILENCE = """
INSERT INTO alert_rules (project_id, name, kind, silence_minutes)
VALUES ($1, $2, 'silence', 30) RETURNING id
"""
INSERT_STATE = """
INSERT INTO alert_states (rule_id, state, changed_at, evaluated_at, value, samples, release,
                          recovering_since)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
INSERT_EVENT = """
INSERT INTO alert_events (project_id, rule_id, transition, at, details)
VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING id
"""
INSERT_DESTINATION = """
INSERT INTO alert_destinations (project_id, name, url, secret) VALUES ($1, $2, $3, $4)
RETURNING id
"""
INSERT_DELIVERY = """
INSERT INTO alert_deliveries (event_id, destination_id, project_id, status, attempts,
                              next_attempt_at, last_error, last_status_code, created_at,
                              delivered_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id
"""


def details(rule_name: str | None, **more: Any) -> str:
    return json.dumps({"rule_name": rule_name, "metric": "LCP", "threshold": 2500,
                       "window_minutes": 60, "link": "http://dash/?project=1", **more})  # fmt: skip


async def threshold(db: asyncpg.Connection, project: int, name: str, *, enabled: bool = True,
                    route: str | None = None, device: str | None = None) -> int:  # fmt: skip
    rule_id: int = await db.fetchval(INSERT_THRESHOLD, project, name, enabled, route, device)
    return rule_id


async def state(db: asyncpg.Connection, rule_id: int, state: str, since: datetime,
                value: float | None = None, samples: int | None = None,
                release: str | None = None, recovering_since: datetime | None = None) -> None:  # fmt: skip
    await db.execute(INSERT_STATE, rule_id, state, since, T0, value, samples, release,
                     recovering_since)  # fmt: skip


async def event(db: asyncpg.Connection, project: int, rule_id: int | None, transition: str,
                at: datetime, **more: Any) -> int:  # fmt: skip
    name = None if rule_id is None else f"rule {rule_id}"
    event_id: int = await db.fetchval(
        INSERT_EVENT, project, rule_id, transition, at, details(name, **more)
    )
    return event_id


async def destination(db: asyncpg.Connection, project: int, name: str) -> int:
    destination_id: int = await db.fetchval(INSERT_DESTINATION, project, name, HOOK_URL, SECRET)
    return destination_id


async def delivery(db: asyncpg.Connection, project: int, event_id: int, destination_id: int,
                   created_at: datetime, status: str = "pending", attempts: int = 0,
                   last_error: str | None = None, code: int | None = None,
                   delivered_at: datetime | None = None) -> int:  # fmt: skip
    delivery_id: int = await db.fetchval(
        INSERT_DELIVERY, event_id, destination_id, project, status, attempts,
        created_at + timedelta(minutes=5), last_error, code, created_at, delivered_at,
    )  # fmt: skip
    return delivery_id


async def get(client: AsyncTestClient, settings: Settings, project: int, view: str,
              params: dict[str, Any] | None = None) -> Any:  # fmt: skip
    response = await client.get(
        f"/v1/projects/{project}/{view}", params=params or {}, headers=bearer(settings, [project])
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()


async def pages(client: AsyncTestClient, settings: Settings, project: int, view: str,
                key: str, limit: int) -> list[list[int]]:  # fmt: skip
    """Every page of a keyset-paginated view, as the ids on each."""
    seen: list[list[int]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        body = await get(client, settings, project, view, params)
        seen.append([row["id"] for row in body[key]])
        if body["next_before"] is None:
            return seen
        params["before"] = body["next_before"]
        assert len(seen) < 20, "pagination does not end"


class TestAlertsNow:
    async def test_firing_rules_come_first_with_their_state(
        self, client: AsyncTestClient, seed: Seeder, db: asyncpg.Connection,
        query_settings: Settings,
    ) -> None:  # fmt: skip
        """Firing rules come first, the latest to fire on top, then the others by name, disabled
        ones last (a stale 'firing' of a disabled rule is not firing); each rule carries its
        definition and its state: since when, the last value and samples, the release."""
        project = await seed.project()
        older = await threshold(db, project, "LCP on checkout", route="/checkout", device="mobile")
        await state(db, older, "firing", T0 - timedelta(hours=2), 3100.0, 812)
        regression = await db.fetchval(INSERT_REGRESSION, project, "A release regressed")
        await state(db, regression, "firing", T0 - timedelta(minutes=5), 1.0, 4000, release="v42")
        calm = await threshold(db, project, "B calm")
        await state(db, calm, "ok", T0 - timedelta(days=1), 1800.0, 950,
                    recovering_since=None)  # fmt: skip
        silence = await db.fetchval(INSERT_SILENCE, project, "A beacons stopped")
        switched_off = await threshold(db, project, "0 switched off", enabled=False)
        await state(db, switched_off, "firing", T0 - timedelta(minutes=1), 9000.0, 10)

        body = await get(client, query_settings, project, "alerts")

        assert body["project_id"] == project
        assert body["firing"] == 2
        listed = [(r["rule"]["id"], r["status"]) for r in body["rules"]]
        assert listed == [
            (regression, "firing"), (older, "firing"), (silence, "pending"), (calm, "ok"),
            (switched_off, "disabled"),
        ]  # fmt: skip
        fired = body["rules"][1]
        assert fired["rule"]["name"] == "LCP on checkout"
        assert fired["rule"]["route"] == "/checkout" and fired["rule"]["device"] == "mobile"
        assert fired["rule"]["threshold"] == 2500 and fired["rule"]["kind"] == "threshold"
        assert fired["value"] == 3100.0 and fired["samples"] == 812
        assert fired["since"] == (T0 - timedelta(hours=2)).isoformat().replace("+00:00", "Z")
        assert body["rules"][0]["release"] == "v42"
        assert body["rules"][0]["rule"]["metrics"] == ["LCP", "INP"]
        pending = body["rules"][2]
        assert pending["since"] is None and pending["value"] is None
        assert pending["rule"]["silence_minutes"] == 30

    async def test_a_change_of_state_shows_at_once(
        self, client: AsyncTestClient, seed: Seeder, db: asyncpg.Connection,
        query_settings: Settings,
    ) -> None:  # fmt: skip
        """Alerts are live: a rule the evaluator just fired is firing in the next answer."""
        project = await seed.project()
        rule = await threshold(db, project, "LCP")
        await state(db, rule, "ok", T0, 1800.0, 500)
        assert (await get(client, query_settings, project, "alerts"))["firing"] == 0
        await db.execute("UPDATE alert_states SET state = 'firing', changed_at = $2 "
                         "WHERE rule_id = $1", rule, T0)  # fmt: skip
        body = await get(client, query_settings, project, "alerts")
        assert body["firing"] == 1 and body["rules"][0]["status"] == "firing"

    async def test_a_project_without_rules_has_none_firing(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """No rules: an empty list, nothing firing."""
        project = await seed.project()
        body = await get(client, query_settings, project, "alerts")
        assert body == {"project_id": project, "firing": 0, "rules": []}


class TestHistory:
    async def test_transitions_newest_first_in_pages(
        self, client: AsyncTestClient, seed: Seeder, db: asyncpg.Connection,
        query_settings: Settings,
    ) -> None:  # fmt: skip
        """The history lists firing and resolved transitions newest first (ties by id), with
        what the notification named; pages follow one another with none lost or repeated;
        test notifications are the delivery log's, not the history's."""
        project = await seed.project()
        rule = await threshold(db, project, "LCP")
        ids = [
            await event(db, project, rule, "firing" if i % 2 == 0 else "resolved",
                        T0 + timedelta(minutes=10 * (i // 2)), value=3000 + i, samples=100 + i)
            for i in range(7)
        ]  # fmt: skip
        await event(db, project, None, "test", T0 + timedelta(hours=5))

        body = await get(client, query_settings, project, "alerts/history")
        newest_first = [6, 5, 4, 3, 2, 1, 0]  # equal `at` in pairs: the later id first
        assert [e["id"] for e in body["events"]] == [ids[i] for i in newest_first]
        assert body["next_before"] is None
        first = body["events"][0]
        assert first["transition"] == "firing" and first["rule_id"] == rule
        assert first["details"]["rule_name"] == f"rule {rule}"
        assert first["details"]["value"] == 3006 and first["details"]["samples"] == 106
        assert first["details"]["link"] == "http://dash/?project=1"

        walked = await pages(client, query_settings, project, "alerts/history", "events", 3)
        assert walked == [[ids[i] for i in newest_first[k : k + 3]] for k in (0, 3, 6)]

    async def test_a_malformed_page_cursor_or_limit_is_a_400(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """`before` is only ever a `next_before` this view gave; `limit` is 1 to 200."""
        project = await seed.project()
        token = bearer(query_settings, [project])
        for params in ({"before": "yesterday"}, {"before": "1-0"}, {"before": "1-2\n"},
                       {"limit": 0}, {"limit": 201}):  # fmt: skip
            for view in ("history", "deliveries"):
                response = await client.get(
                    f"/v1/projects/{project}/alerts/{view}", params=params, headers=token
                )
                assert response.status_code == 400, (view, params, response.text)
                assert response.json()["error"] == "invalid_parameter"


class TestDeliveryLog:
    async def test_each_delivery_with_its_destination_status_and_attempts(
        self, client: AsyncTestClient, seed: Seeder, db: asyncpg.Connection,
        query_settings: Settings,
    ) -> None:  # fmt: skip
        """The log names each delivery's destination and event, its status, attempts, last
        error and status code, when it is tried next (pending only) and when it arrived;
        never the destination's URL or secret."""
        project = await seed.project()
        rule = await threshold(db, project, "LCP")
        ops = await destination(db, project, "#ops")
        team = await destination(db, project, "team hook")
        fired = await event(db, project, rule, "firing", T0)
        tested = await event(db, project, None, "test", T0 + timedelta(minutes=1))
        delivered = await delivery(db, project, fired, ops, T0, "delivered", 1, code=200,
                                   delivered_at=T0 + timedelta(seconds=2))  # fmt: skip
        retrying = await delivery(db, project, fired, team, T0, "pending", 3,
                                  "HTTP 503 from the receiver", 503)  # fmt: skip
        failed = await delivery(db, project, tested, team, T0 + timedelta(minutes=1), "failed",
                                10, "connection refused")  # fmt: skip

        body = await get(client, query_settings, project, "alerts/deliveries")

        rows = {d["id"]: d for d in body["deliveries"]}
        assert [d["id"] for d in body["deliveries"]] == [failed, retrying, delivered]
        assert rows[delivered] | {"idempotency_key": None} == {
            "id": delivered, "event_id": fired, "transition": "firing", "rule_id": rule,
            "rule_name": f"rule {rule}", "destination_id": ops, "destination": "#ops",
            "status": "delivered", "attempts": 1, "last_error": None, "last_status_code": 200,
            "next_attempt_at": None, "created_at": "2026-12-06T12:00:00Z",
            "delivered_at": "2026-12-06T12:00:02Z", "idempotency_key": None,
        }  # fmt: skip
        assert rows[retrying]["next_attempt_at"] == "2026-12-06T12:05:00Z"
        assert rows[retrying]["last_error"] == "HTTP 503 from the receiver"
        assert rows[failed]["transition"] == "test" and rows[failed]["rule_id"] is None
        assert rows[failed]["destination"] == "team hook" and rows[failed]["attempts"] == 10
        key = await db.fetchval("SELECT idempotency_key FROM alert_deliveries WHERE id = $1",
                                delivered)  # fmt: skip
        assert rows[delivered]["idempotency_key"] == str(key)
        text = json.dumps(body)
        assert "very-secret-path" not in text and SECRET not in text

    async def test_the_log_pages_through_every_delivery_once(
        self, client: AsyncTestClient, seed: Seeder, db: asyncpg.Connection,
        query_settings: Settings,
    ) -> None:  # fmt: skip
        """Pages of the log, newest first, together hold every delivery exactly once."""
        project = await seed.project()
        rule = await threshold(db, project, "LCP")
        hook = await destination(db, project, "hook")
        other = await destination(db, project, "other")
        made = []
        for i in range(4):
            fired = await event(db, project, rule, "firing", T0 + timedelta(hours=i))
            for target in (hook, other):  # two at the same instant: ordered by id
                made.append(await delivery(db, project, fired, target, T0 + timedelta(hours=i)))
        walked = await pages(client, query_settings, project, "alerts/deliveries", "deliveries", 3)
        assert [len(p) for p in walked] == [3, 3, 2]
        assert [i for page in walked for i in page] == sorted(made, reverse=True)


class TestTenantIsolation:
    async def test_another_projects_alerts_are_refused_and_never_mixed_in(
        self, client: AsyncTestClient, seed: Seeder, db: asyncpg.Connection,
        query_settings: Settings,
    ) -> None:  # fmt: skip
        """A token of project A gets 403 on project B's alerts, history and deliveries; A's
        answers hold none of B's rules, events or deliveries; no token is a 401."""
        mine = await seed.project("mine")
        theirs = await seed.project("theirs")
        for project in (mine, theirs):
            rule = await threshold(db, project, f"LCP of {project}")
            await state(db, rule, "firing", T0, 3000.0, 200)
            fired = await event(db, project, rule, "firing", T0)
            await delivery(db, project, fired, await destination(db, project, "hook"), T0)
        token = bearer(query_settings, [mine])
        for view in ("alerts", "alerts/history", "alerts/deliveries"):
            refused = await client.get(f"/v1/projects/{theirs}/{view}", headers=token)
            assert refused.status_code == 403, (view, refused.text)
            assert refused.json()["error"] == "forbidden_project"
            anonymous = await client.get(f"/v1/projects/{mine}/{view}")
            assert anonymous.status_code == 401
        alerts = await get(client, query_settings, mine, "alerts")
        assert [r["rule"]["project_id"] for r in alerts["rules"]] == [mine]
        history = await get(client, query_settings, mine, "alerts/history")
        deliveries = await get(client, query_settings, mine, "alerts/deliveries")
        theirs_events = await db.fetch("SELECT id FROM alert_events WHERE project_id = $1", theirs)
        assert len(history["events"]) == 1 and len(deliveries["deliveries"]) == 1
        assert history["events"][0]["id"] not in {r["id"] for r in theirs_events}
        assert deliveries["deliveries"][0]["destination"] == "hook"
        assert deliveries["deliveries"][0]["event_id"] == history["events"][0]["id"]
