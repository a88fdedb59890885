"""Alert webhooks as a receiver sees them (issue 14): the JSON bodies (generic and Slack),
the headers, and the signature. The workers' sender (services/workers/alerts/delivery.py)
builds and signs with these functions, and a receiver verifies with `verify_signature`;
the README documents the same.

A body is built from the notification's event (alert_events.details, kept as it was at
the transition), its project and its idempotency key only, so every retry sends the same
bytes. Each attempt is signed afresh: `X-Vitals-Signature: sha256=<hex>` is the
HMAC-SHA256, keyed by the destination's secret (the whole `vwh_…` string, UTF-8), of
`<X-Vitals-Timestamp>.<body>`, so a receiver can refuse a captured request replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime
from typing import Any, Literal

import msgspec

from services.contracts.alerts import Comparison, DeviceName, Kind, MetricName, Statistic
from services.contracts.notification_text import escape, summary

EventType = Literal["alert.firing", "alert.resolved", "alert.test"]
Transition = Literal["firing", "resolved", "test"]
EVENT_TYPES: dict[str, EventType] = {
    "firing": "alert.firing", "resolved": "alert.resolved", "test": "alert.test",
}  # fmt: skip

CONTENT_TYPE = "application/json"
USER_AGENT = "Vitals-Webhooks/1"
IDEMPOTENCY_HEADER = "Idempotency-Key"
TIMESTAMP_HEADER = "X-Vitals-Timestamp"
SIGNATURE_HEADER = "X-Vitals-Signature"
EVENT_HEADER = "X-Vitals-Event"
SIGNATURE_SCHEME = "sha256="
# 5 minutes, as Stripe and Slack allow: clocks drift by seconds, a replay comes later.
DEFAULT_TOLERANCE_S = 300.0


class Filters(msgspec.Struct, frozen=True, kw_only=True):
    route: str | None = None
    device: DeviceName | None = None
    country: str | None = None
    browser: str | None = None


class AlertDetails(msgspec.Struct, frozen=True, kw_only=True):
    """alert_events.details: what the notification names, as the evaluator (or the admin
    service's test) wrote it. Every field is optional: a silence rule has no metric, a
    test no rule."""

    rule_id: int | None = None
    rule_name: str | None = None
    kind: Kind | None = None
    metric: MetricName | None = None
    statistic: Statistic | None = None
    comparison: Comparison | None = None
    value: float | None = None  # the metric's unit (ms; CLS unitless); a good share a fraction
    threshold: float | None = None
    window_minutes: int | None = None
    samples: int | None = None
    filters: Filters = Filters()
    release: str | None = None
    link: str | None = None  # the dashboard view with the rule's filters
    # The evaluator's evidence, by kind: a threshold's p75 and good share, a silence's
    # earlier weeks, a regression's baseline release and regressed scopes.
    reading: dict[str, Any] = msgspec.field(default_factory=dict)
    message: str | None = None  # a test notification's words


class ProjectRef(msgspec.Struct, frozen=True):
    id: int
    slug: str


class RuleRef(msgspec.Struct, frozen=True):
    id: int
    name: str
    kind: Kind


class WebhookBody(msgspec.Struct, frozen=True, kw_only=True):
    """The generic format's body."""

    id: str  # the idempotency key: the same on every retry of one notification
    type: EventType
    project: ProjectRef
    at: datetime  # when the transition happened (or the test was asked for)
    rule: RuleRef | None  # None: a test notification
    summary: str  # one line a person reads; the fields below are for programs
    metric: MetricName | None
    statistic: Statistic | None
    comparison: Comparison | None
    value: float | None
    threshold: float | None
    window_minutes: int | None
    samples: int | None
    filters: Filters
    release: str | None
    link: str | None
    reading: dict[str, Any]


class Notification(msgspec.Struct, frozen=True, kw_only=True):
    """One delivery's event, as the sender reads it from the outbox."""

    idempotency_key: str
    transition: Transition
    project: ProjectRef
    at: datetime
    details: AlertDetails

    @property
    def type(self) -> EventType:
        return EVENT_TYPES[self.transition]


def generic_body(n: Notification) -> bytes:
    d = n.details
    rule = None
    if d.rule_id is not None:
        rule = RuleRef(d.rule_id, d.rule_name or f"rule {d.rule_id}", d.kind or "threshold")
    return msgspec.json.encode(WebhookBody(
        id=n.idempotency_key, type=n.type, project=n.project, at=n.at, rule=rule,
        summary=summary(n, markup=False), metric=d.metric, statistic=d.statistic,
        comparison=d.comparison, value=d.value, threshold=d.threshold,
        window_minutes=d.window_minutes, samples=d.samples, filters=d.filters,
        release=d.release, link=d.link, reading=d.reading,
    ))  # fmt: skip


def slack_body(n: Notification) -> bytes:
    """A Slack incoming-webhook message: `text` (also the notification's fallback) and the
    same words as a section block, with the link and the idempotency key as context."""
    text = summary(n, markup=True)
    context = [f"project `{escape(n.project.slug)}`", f"id `{n.idempotency_key}`"]
    if n.details.link:
        context.insert(1, f"<{n.details.link}|Open in Vitals>")
    return msgspec.json.encode({
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)}]},
        ],
    })  # fmt: skip


def body_of(n: Notification, destination_format: Literal["generic", "slack"]) -> bytes:
    return slack_body(n) if destination_format == "slack" else generic_body(n)


# --- Signatures -------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Vitals-Signature value: `sha256=` and the hex HMAC of `<timestamp>.<body>`."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_SCHEME + mac.hexdigest()


def signed_headers(
    secret: str, body: bytes, n: Notification, *, now: float | None = None
) -> dict[str, str]:
    timestamp = int(time.time() if now is None else now)
    return {
        "Content-Type": CONTENT_TYPE,
        "User-Agent": USER_AGENT,
        IDEMPOTENCY_HEADER: n.idempotency_key,
        EVENT_HEADER: n.type,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


def verify_signature(
    secret: str,
    timestamp: str | int,
    body: bytes,
    signature: str,
    *,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> bool:
    """Whether the headers of a request prove it came from Vitals with this body: the
    signature matches the body and the timestamp, and the timestamp is within
    `tolerance_s` of `now` (a replay of a captured request fails)."""
    text = str(timestamp)
    if not text.isascii() or not text.isdigit():
        return False
    current = time.time() if now is None else now
    if abs(current - int(text)) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, int(text), body).encode(), signature.encode())
