"""The notification sender (issue 14): drains the outbox (alert_deliveries) at least once.

Each delivery is claimed in its own short transaction (`FOR UPDATE SKIP LOCKED`) that
holds the row lock while the webhook is sent and then records the outcome, so two workers
never send one delivery at once. A sender killed mid-send leaves no mark: its transaction
rolls back (PostgreSQL ends the session when the socket closes), the row is pending and
due, and the next run sends it again with the same idempotency key and body. A receiver
therefore sees a notification at least once and, when a sender dies after the receiver
answered but before the row said so, twice, recognisable by the key.

Outcomes: 2xx delivered. A 5xx, 408 or 429, a timeout or a connection error may pass: the
delivery is retried with exponential backoff and jitter (settings.alerts_retry_*), and
failed once alerts_retry_max_age_s have passed since it was made. Any other answer (a 4xx:
Slack answers a deleted hook with 404; a redirect, never followed) fails it at once, as
does a host that now resolves to a non-public address (DNS rebinding: the name is
resolved again here and the request goes to the address checked, not to a second lookup).
last_status_code and last_error keep the latest answer and the latest error.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import datetime, timedelta
from typing import Literal

import asyncpg
import msgspec
import structlog

from services.contracts.settings import Settings
from services.contracts.webhooks import (
    AlertDetails,
    Notification,
    ProjectRef,
    body_of,
    signed_headers,
)  # fmt: skip
from services.workers import runtime
from services.workers.alerts.sending import Attempt, send

log = structlog.get_logger()

# One sending job at a time across workers (a session-level advisory lock, released when
# its connection ends, even by a kill): a receiver that hangs then occupies one worker,
# not every worker the 10-second schedule hands a delivery job to.
DELIVER_LOCK = (0x76697461, 0x64656C76)  # 'vita' 'delv', as two int4s (evaluate.py: 'alrt')
# Per job: up to this many deliveries, claimed for this long (a send in flight then ends
# within alerts_send_timeout_s); the schedule enqueues the next job 10 s later.
DELIVER_LIMIT = 500
DELIVER_BUDGET_S = 20.0
CONCURRENCY = 4  # deliveries sent at once by one job, one connection each

# The workers' sessions end a transaction idle for 10 s (runtime.session_timeouts); a
# delivery's transaction is idle while it sends, for up to the send timeout.
SET_IDLE_LIMIT = "SELECT set_config('idle_in_transaction_session_timeout', $1, true)"
IDLE_MARGIN_S = 10.0
CLAIM_DUE = """
SELECT d.id, d.project_id, p.slug, d.idempotency_key::text AS idempotency_key, d.attempts,
       d.created_at, e.transition, e.at, e.details::text AS details,
       t.url, t.secret, t.format, coalesce($1::timestamptz, clock_timestamp()) AS claimed_at
FROM alert_deliveries d
JOIN alert_events e ON e.id = d.event_id
JOIN alert_destinations t ON t.id = d.destination_id
JOIN projects p ON p.id = d.project_id
WHERE d.status = 'pending' AND d.next_attempt_at <= coalesce($1::timestamptz, now())
ORDER BY d.next_attempt_at
LIMIT 1
FOR UPDATE OF d SKIP LOCKED
"""
# last_error is the latest error, kept when a later attempt succeeds: a delivered row
# with attempts > 1 says why it took several.
RECORD_OUTCOME = """
UPDATE alert_deliveries
SET status = $2, attempts = attempts + 1, next_attempt_at = coalesce($3, next_attempt_at),
    last_error = coalesce($4, last_error), last_status_code = coalesce($5, last_status_code),
    delivered_at = CASE WHEN $2 = 'delivered' THEN clock_timestamp() END
WHERE id = $1
"""

Status = Literal["delivered", "pending", "failed"]


class Due(msgspec.Struct, frozen=True, kw_only=True):
    """A claimed delivery: the outbox row, its event, destination and project."""

    id: int
    project_id: int
    slug: str
    idempotency_key: str
    attempts: int
    created_at: datetime
    transition: Literal["firing", "resolved", "test"]
    at: datetime
    details: str
    url: str
    secret: str
    format: Literal["generic", "slack"]
    claimed_at: datetime


class Summary(msgspec.Struct, kw_only=True):
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    def count(self, status: Status) -> None:
        if status == "delivered":
            self.delivered += 1
        elif status == "pending":
            self.retrying += 1
        else:
            self.failed += 1


def deliver_due() -> dict[str, object]:
    """The RQ job (enqueued every 10 s by the workers' maintenance, schedule.py, and by the
    evaluator after a transition): send what is due, unless another worker is sending."""
    rt = runtime.current()

    async def run() -> dict[str, object]:
        pool = await rt.pool()
        async with pool.acquire() as connection:
            if not await connection.fetchval("SELECT pg_try_advisory_lock($1, $2)", *DELIVER_LOCK):
                return {"skipped": "another worker is sending"}
            try:
                summary = await deliver_pending(
                    pool, rt.settings, limit=DELIVER_LIMIT, budget_s=DELIVER_BUDGET_S
                )
            finally:
                await connection.execute("SELECT pg_advisory_unlock($1, $2)", *DELIVER_LOCK)
        return msgspec.structs.asdict(summary)

    result = rt.run(run())
    if any(result.get(k) for k in ("delivered", "retrying", "failed")):
        log.info("alert_deliveries_sent", **result)
    return result


async def deliver_pending(
    pool: asyncpg.Pool,
    settings: Settings,
    *,
    now: datetime | None = None,
    limit: int = DELIVER_LIMIT,
    budget_s: float | None = None,
    concurrency: int = CONCURRENCY,
) -> Summary:
    """Send up to `limit` due deliveries (`now`: the time they are due by, the database's
    clock by default), `concurrency` at a time, claiming none after `budget_s`."""
    summary = Summary()
    started = time.monotonic()
    claims = 0

    async def drain() -> None:
        nonlocal claims
        while claims < limit and (budget_s is None or time.monotonic() - started < budget_s):
            claims += 1
            status = await deliver_one(pool, settings, now)
            if status is None:
                return
            summary.count(status)

    async with asyncio.TaskGroup() as group:
        for _ in range(max(1, min(concurrency, limit))):
            group.create_task(drain())
    return summary


async def deliver_one(
    pool: asyncpg.Pool, settings: Settings, now: datetime | None
) -> Status | None:
    """Claim one due delivery, send it holding its row lock, record the outcome. None:
    nothing was due (or every due one is being sent by someone else)."""
    idle_limit_ms = round((settings.alerts_send_timeout_s + IDLE_MARGIN_S) * 1000)
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(SET_IDLE_LIMIT, str(idle_limit_ms))
        row = await connection.fetchrow(CLAIM_DUE, now)
        if row is None:
            return None
        due = msgspec.convert(dict(row.items()), Due)
        log.debug("alert_delivery_claimed", delivery_id=due.id, project_id=due.project_id)
        started = time.monotonic()
        attempt = await attempt_delivery(due, settings)
        elapsed = timedelta(seconds=time.monotonic() - started)
        status, next_attempt_at, error = decide(due, attempt, due.claimed_at + elapsed, settings)
        await connection.execute(
            RECORD_OUTCOME, due.id, status, next_attempt_at, error, attempt.status_code
        )
    fields = {"delivery_id": due.id, "project_id": due.project_id, "attempts": due.attempts + 1,
              "status_code": attempt.status_code}  # fmt: skip
    if status == "delivered":
        log.info("alert_delivered", **fields)
    elif status == "pending":
        log.warning("alert_delivery_retrying", error=error, next_attempt_at=next_attempt_at,
                    **fields)  # fmt: skip
    else:
        log.warning("alert_delivery_failed", error=error, **fields)
    return status


async def attempt_delivery(due: Due, settings: Settings) -> Attempt:
    try:
        details = msgspec.json.decode(due.details, type=AlertDetails)
    except msgspec.ValidationError as exc:
        # The event cannot change, so neither would a retry's outcome.
        return Attempt(error=f"the event's details cannot be sent: {exc}", retryable=False)
    notification = Notification(
        idempotency_key=due.idempotency_key, transition=due.transition,
        project=ProjectRef(due.project_id, due.slug), at=due.at, details=details,
    )  # fmt: skip
    body = body_of(notification, due.format)
    headers = signed_headers(due.secret, body, notification)
    return await send(due.url, body, headers, settings)


def decide(
    due: Due, attempt: Attempt, now: datetime, settings: Settings
) -> tuple[Status, datetime | None, str | None]:
    """The delivery's status after this attempt, its next attempt's time, and the error."""
    if attempt.delivered:
        return "delivered", None, None
    if not attempt.retryable:
        return "failed", None, attempt.error
    attempts = due.attempts + 1
    deadline = due.created_at + timedelta(seconds=settings.alerts_retry_max_age_s)
    if now >= deadline:
        gave_up = f"gave up after {attempts} attempts over {now - due.created_at}"
        return "failed", None, f"{gave_up}; the last: {attempt.error}"
    delay = backoff_s(attempts, settings)
    if attempt.retry_after_s is not None:  # the receiver asked (429, 503): within our cap
        delay = max(delay, min(attempt.retry_after_s, settings.alerts_retry_cap_s))
    return "pending", min(now + timedelta(seconds=delay), deadline), attempt.error


def backoff_s(attempts: int, settings: Settings) -> float:
    """base · 2^(attempts - 1), capped, then jittered to between half and all of it."""
    ceiling: float = min(
        settings.alerts_retry_cap_s, settings.alerts_retry_base_s * 2 ** (attempts - 1)
    )
    return ceiling * random.uniform(0.5, 1.0)  # noqa: S311 - spreading retries, not a secret
