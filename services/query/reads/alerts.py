"""The SQL of the alerts views: a project's rules with their evaluated state, the history of
their transitions, and the delivery log (migrations 0017 and 0018; vitals_reader reads
destinations' names, never their URLs or secrets)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import asyncpg
import msgspec

from services.contracts.alerts import AlertRule
from services.contracts.webhooks import AlertDetails
from services.query.instruments import STATEMENTS
from services.query.reads.histograms import Db

# "pending": enabled, not evaluated yet; "disabled": not evaluated any more, whatever it
# last was (the evaluator skips disabled rules, so a stored 'firing' would be stale).
Status = Literal["firing", "ok", "pending", "disabled"]
Transition = Literal["firing", "resolved", "test"]
DeliveryStatus = Literal["pending", "delivered", "failed"]

_RULE_COLUMNS = ", ".join(f"r.{name}" for name in AlertRule.__struct_fields__)
# Firing first, the latest to fire on top; disabled rules last. At most 100 per project
# (the admin service's cap), so no pagination.
RULES = f"""
SELECT {_RULE_COLUMNS},
       CASE WHEN NOT r.enabled THEN 'disabled' ELSE coalesce(s.state, 'pending') END AS status,
       s.changed_at, s.evaluated_at, s.value, s.samples, s.release, s.recovering_since
FROM alert_rules AS r
LEFT JOIN alert_states AS s ON s.rule_id = r.id
WHERE r.project_id = $1
ORDER BY CASE WHEN NOT r.enabled THEN 2 WHEN s.state = 'firing' THEN 0 ELSE 1 END,
         CASE WHEN r.enabled AND s.state = 'firing' THEN s.changed_at END DESC NULLS LAST,
         r.name, r.id
"""
# Keyset pages, newest first, on (at, id) and (created_at, id): both lead the project's
# index (alert_events_project, alert_deliveries_project). Tests are the delivery log's,
# not the history's: the history is of rules.
_EVENTS = """
SELECT id, rule_id, transition, at, details FROM alert_events
WHERE project_id = $1 AND transition <> 'test' {after}
ORDER BY at DESC, id DESC
LIMIT $2
"""
EVENTS = _EVENTS.format(after="")
EVENTS_BEFORE = _EVENTS.format(after="AND (at, id) < ($3, $4)")
_DELIVERIES = """
SELECT d.id, d.event_id, e.transition, e.rule_id, e.details ->> 'rule_name' AS rule_name,
       d.destination_id, t.name AS destination, d.status, d.attempts, d.last_error,
       d.last_status_code,
       CASE WHEN d.status = 'pending' THEN d.next_attempt_at END AS next_attempt_at,
       d.created_at, d.delivered_at, d.idempotency_key
FROM alert_deliveries AS d
JOIN alert_events AS e ON e.id = d.event_id
JOIN alert_destinations AS t ON t.id = d.destination_id
WHERE d.project_id = $1 {after}
ORDER BY d.created_at DESC, d.id DESC
LIMIT $2
"""
DELIVERIES = _DELIVERIES.format(after="")
DELIVERIES_BEFORE = _DELIVERIES.format(after="AND (d.created_at, d.id) < ($3, $4)")


class RuleStatus(msgspec.Struct, frozen=True, kw_only=True):
    """A rule and where its evaluation stands; the state's fields are None until the
    evaluator has seen the rule."""

    rule: AlertRule
    status: Status
    since: datetime | None  # when it entered its stored state (firing: fired at)
    evaluated_at: datetime | None
    value: float | None  # the last value evaluated (the metric's unit; a share a fraction)
    samples: int | None
    release: str | None  # a regression rule: the release it fired for
    recovering_since: datetime | None  # firing, and back under the threshold since then


class AlertEvent(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    rule_id: int | None
    transition: Transition
    at: datetime
    details: AlertDetails  # as the notification named it, at the transition


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    event_id: int
    transition: Transition
    rule_id: int | None  # None: a test notification
    rule_name: str | None
    destination_id: int
    destination: str
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    last_status_code: int | None
    next_attempt_at: datetime | None  # pending only: when the sender tries again
    created_at: datetime
    delivered_at: datetime | None
    idempotency_key: UUID  # the Idempotency-Key header the receiver saw


Cursor = tuple[datetime, int]


def _rule_status(row: asyncpg.Record) -> RuleStatus:
    rule = msgspec.convert({k: row[k] for k in AlertRule.__struct_fields__}, AlertRule)
    return RuleStatus(
        rule=rule, status=row["status"], since=row["changed_at"],
        evaluated_at=row["evaluated_at"], value=row["value"], samples=row["samples"],
        release=row["release"], recovering_since=row["recovering_since"],
    )  # fmt: skip


def _event(row: asyncpg.Record) -> AlertEvent:
    return AlertEvent(
        id=row["id"], rule_id=row["rule_id"], transition=row["transition"], at=row["at"],
        details=msgspec.json.decode(row["details"], type=AlertDetails),
    )  # fmt: skip


async def rules(db: Db, project_id: int) -> list[RuleStatus]:
    STATEMENTS.labels("alert_rules").inc()
    return [_rule_status(row) for row in await db.fetch(RULES, project_id)]


async def events(db: Db, project_id: int, limit: int, before: Cursor | None) -> list[AlertEvent]:
    STATEMENTS.labels("alert_events").inc()
    if before is None:
        rows = await db.fetch(EVENTS, project_id, limit)
    else:
        rows = await db.fetch(EVENTS_BEFORE, project_id, limit, *before)
    return [_event(row) for row in rows]


async def deliveries(db: Db, project_id: int, limit: int, before: Cursor | None) -> list[Delivery]:
    STATEMENTS.labels("alert_deliveries").inc()
    if before is None:
        rows = await db.fetch(DELIVERIES, project_id, limit)
    else:
        rows = await db.fetch(DELIVERIES_BEFORE, project_id, limit, *before)
    return [Delivery(**dict(row.items())) for row in rows]
