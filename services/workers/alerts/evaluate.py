"""The evaluation cycle: every enabled rule read (readings.py), stepped through its state
machine (transitions.py), and each transition written with its notifications.

- **One evaluator at a time**, across all worker processes and machines: a cycle runs
  only while it holds a PostgreSQL advisory lock on its connection. A second cycle (two
  workers took the job, or one cycle outlived the schedule's period) finds it taken and
  does nothing. A worker killed mid-cycle loses its session, and with it the lock.
- **Idempotent**: what a rule does next depends only on its stored state and what the
  rollups hold, so running a cycle twice in a row makes no second transition.
- **Transition and notifications together**: the new state, the history row
  (alert_events) and one outbox row per destination of the project (alert_deliveries)
  are one transaction, so a notification exists exactly when its transition does; the
  sender (delivery.py, scheduled every 10 s) then delivers each at least once.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import msgspec
import structlog

from services.contracts.alerts import AlertRule
from services.contracts.database import Connection, Pool
from services.contracts.settings import Settings
from services.workers import runtime
from services.workers.alerts.readings import READERS
from services.workers.alerts.transitions import Reading, RuleState, Timing, Transition, step

log = structlog.get_logger()

# A regression verdict moves only with hundreds of new page views, and reading one costs
# tens of milliseconds (two releases' rollups and their statistics), more than the rest of
# a rule's evaluation together: regression rules are read when new and then once every
# this many minutes, each at its own minute (by id), so the cost is spread over cycles.
REGRESSION_EVERY_MIN = 10
# pg_advisory_lock's key for the evaluator ('vitals' 'alerts', as two int4s).
LOCK_KEY = (0x76697461, 0x616C7274)
_RULE_COLUMNS = ", ".join(f"r.{name}" for name in AlertRule.__struct_fields__)
RULES = f"""
SELECT {_RULE_COLUMNS}, p.slug,
       s.state, s.changed_at AS state_changed_at, s.recovering_since, s.resolved_at,
       s.release AS state_release, s.evaluated_at
FROM alert_rules r
JOIN projects p ON p.id = r.project_id
LEFT JOIN alert_states s ON s.rule_id = r.id
WHERE r.enabled
ORDER BY r.id
"""
# changed_at: when the rule entered its state; a rule never fired keeps its first evaluation's.
SAVE_STATE = """
INSERT INTO alert_states AS s (rule_id, state, changed_at, evaluated_at, value, samples,
                               recovering_since, resolved_at, release)
VALUES ($1, $2, coalesce($3::timestamptz, $4), $4, $5, $6, $7, $8, $9)
ON CONFLICT (rule_id) DO UPDATE SET
    state = excluded.state, changed_at = coalesce($3::timestamptz, s.changed_at),
    evaluated_at = excluded.evaluated_at, value = excluded.value, samples = excluded.samples,
    recovering_since = excluded.recovering_since, resolved_at = excluded.resolved_at,
    release = excluded.release
"""
RECORD_EVENT = """
INSERT INTO alert_events (project_id, rule_id, transition, at, details)
VALUES ($1, $2, $3, $4, $5::jsonb)
RETURNING id
"""
# One delivery per destination the project has at the transition.
OUTBOX = """
INSERT INTO alert_deliveries (event_id, destination_id, project_id)
SELECT $1, d.id, d.project_id FROM alert_destinations d WHERE d.project_id = $2
"""


class CycleReport(msgspec.Struct, frozen=True, kw_only=True):
    ran: bool  # False: another evaluator held the lock
    rules: int = 0  # enabled rules
    read: int = 0  # of those, read this cycle (regression rules: every REGRESSION_EVERY_MIN)
    transitions: int = 0
    notifications: int = 0
    failed_rules: int = 0
    seconds: float = 0.0


async def evaluate_all(pool: Pool, settings: Settings, now: datetime | None = None) -> CycleReport:
    """One cycle over every enabled rule, if no other evaluator is running."""
    started = time.perf_counter()
    async with pool.acquire() as db:
        if not await db.fetchval("SELECT pg_try_advisory_lock($1, $2)", *LOCK_KEY):
            return CycleReport(ran=False)
        try:
            now = now or await db.fetchval("SELECT now()")
            rows = await db.fetch(RULES)
            read = transitions = notifications = failed = 0
            unchanged: list[tuple[object, ...]] = []
            for row in rows:
                if not due(row["kind"], row["id"], row["evaluated_at"], now):
                    continue
                read += 1
                try:
                    state, made = await _evaluate(db, row, now, settings)
                except Exception:  # one broken rule must not stop the others
                    log.exception("alert_rule_failed", rule_id=row["id"])
                    failed += 1
                    continue
                if made is None:
                    unchanged.append(state)
                else:
                    transitions += 1
                    notifications += made
            # One batch, not a commit (and a WAL flush) per rule: most rules make no
            # transition, and a cycle lost before this line only delays their bookkeeping
            # (value, samples, recovering_since) by one cycle.
            await db.executemany(SAVE_STATE, unchanged)
        finally:
            await db.execute("SELECT pg_advisory_unlock($1, $2)", *LOCK_KEY)
    return CycleReport(ran=True, rules=len(rows), read=read, transitions=transitions,
                       notifications=notifications, failed_rules=failed,
                       seconds=time.perf_counter() - started)  # fmt: skip


def due(kind: str, rule_id: int, evaluated_at: datetime | None, now: datetime) -> bool:
    if kind != "regression" or evaluated_at is None:
        return True
    return (int(now.timestamp()) // 60 + rule_id) % REGRESSION_EVERY_MIN == 0


async def _evaluate(
    db: Connection, row: Any, now: datetime, settings: Settings
) -> tuple[tuple[object, ...], int | None]:
    """Read and step one rule. A transition is written here, with its notifications, and
    their count returned; without one (None) the caller saves the state returned."""
    rule = msgspec.convert({k: row[k] for k in AlertRule.__struct_fields__}, AlertRule)
    before = RuleState(
        state=row["state"] or "ok", changed_at=row["state_changed_at"],
        recovering_since=row["recovering_since"], resolved_at=row["resolved_at"],
        release=row["state_release"],
    )  # fmt: skip
    reading = await READERS[rule.kind](db, rule, now)
    timing = Timing(resolve_after=timedelta(minutes=rule.resolve_after_minutes),
                    cooldown=timedelta(minutes=rule.cooldown_minutes))  # fmt: skip
    after, transition = step(before, reading, timing, now)
    state = (rule.id, after.state, after.changed_at, now, reading.value, reading.samples,
             after.recovering_since, after.resolved_at, after.release)  # fmt: skip
    if transition is None:
        return state, None
    async with db.transaction():
        await db.execute(SAVE_STATE, *state)
        details = notice(rule, row["slug"], transition, reading, before=before, now=now,
                         settings=settings)  # fmt: skip
        event_id = await db.fetchval(
            RECORD_EVENT, rule.project_id, rule.id, transition, now,
            msgspec.json.encode(details).decode(),
        )  # fmt: skip
        result = await db.execute(OUTBOX, event_id, rule.project_id)
    log.info("alert_transition", rule_id=rule.id, transition=transition, value=reading.value)
    return state, int(result.rsplit(" ", 1)[1])


def notice(
    rule: AlertRule, slug: str, transition: Transition, reading: Reading, *, before: RuleState,
    now: datetime, settings: Settings,
) -> dict[str, object]:  # fmt: skip
    """What the notification names (alert_events.details; delivery.py renders it)."""
    release = reading.release if transition == "firing" else before.release
    filters = {k: getattr(rule, k) for k in ("route", "device", "country", "browser")}
    return {
        "rule_id": rule.id, "rule_name": rule.name, "kind": rule.kind,
        "project_id": rule.project_id, "project_slug": slug,
        "metric": rule.metric, "statistic": rule.statistic, "comparison": rule.comparison,
        "value": reading.value, "threshold": rule.threshold,
        "window_minutes": rule.window_minutes or rule.silence_minutes,
        "samples": reading.samples, "filters": {k: v for k, v in filters.items() if v},
        "release": release, "reading": reading.details,
        "link": dashboard_link(settings, rule, release, now),
    }  # fmt: skip


def dashboard_link(settings: Settings, rule: AlertRule, release: str | None, now: datetime) -> str:
    """The dashboard view the notification is about, with the rule's filters."""
    params: list[tuple[str, str]] = [("project", str(rule.project_id))]
    if rule.kind == "regression":
        params += [("view", "releases")] + ([("compare", release)] if release else [])
    else:
        window = timedelta(minutes=rule.window_minutes or rule.silence_minutes or 60)
        start = now - max(window * 4, timedelta(hours=6))
        params += [("view", "trends"), ("from", start.isoformat()), ("to", now.isoformat())]
        if rule.metric:
            params.append(("metric", rule.metric))
        for name in ("route", "device", "browser", "country"):
            value = getattr(rule, name)
            if value is not None:
                params.append((name, value))
    return f"{settings.dashboard_url.rstrip('/')}/?{urlencode(params)}"


def evaluate_due() -> dict[str, object]:
    """The RQ job (schedule.py enqueues it every alerts_evaluate_every_s)."""
    rt = runtime.current()

    async def cycle() -> CycleReport:
        return await evaluate_all(await rt.pool(), rt.settings)

    report = rt.run(cycle())
    log.info("alerts_evaluated", **msgspec.structs.asdict(report))
    return msgspec.structs.asdict(report)
