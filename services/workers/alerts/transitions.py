"""A rule's state machine, ok → firing → resolved (→ ok), apart from any I/O.

- **ok → firing** when the reading breaches the rule, unless the rule resolved less than
  its cooldown ago: a value hovering around the threshold notifies once, not every
  evaluation.
- **firing → resolved** only once the reading has been *recovered* for the rule's
  resolve-after period without a break: back past the threshold by the hysteresis margin
  (a p75 "above 2,500 ms" with a 10 % margin resolves at ≤ 2,250 ms), or, for the other
  kinds, no longer regressed or silent. A reading that is neither breached nor recovered
  (inside the margin, or too few samples to judge) keeps the state as it is.
- A resolved rule is ok again; the transitions themselves are the history's
  (alert_events), written with the state in one transaction (evaluate.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import msgspec

State = Literal["ok", "firing"]
Transition = Literal["firing", "resolved"]


class Reading(msgspec.Struct, frozen=True, kw_only=True):
    """What one evaluation found. `breached` and `recovered` are never both true; neither
    is: hold (too few samples, or inside the hysteresis margin)."""

    value: float | None
    samples: int | None
    breached: bool
    recovered: bool
    release: str | None = None
    details: dict[str, object] = msgspec.field(default_factory=dict)


class RuleState(msgspec.Struct, frozen=True, kw_only=True):
    state: State = "ok"
    changed_at: datetime | None = None
    recovering_since: datetime | None = None
    resolved_at: datetime | None = None
    release: str | None = None


class Timing(msgspec.Struct, frozen=True, kw_only=True):
    """A rule's anti-flapping settings."""

    resolve_after: timedelta
    cooldown: timedelta


def step(
    before: RuleState, reading: Reading, timing: Timing, now: datetime
) -> tuple[RuleState, Transition | None]:
    """The state after `reading`, and the transition it made (None: none)."""
    if before.state == "ok":
        cooling = before.resolved_at is not None and now - before.resolved_at < timing.cooldown
        if reading.breached and not cooling:
            fired = RuleState(state="firing", changed_at=now, resolved_at=before.resolved_at,
                              release=reading.release)  # fmt: skip
            return fired, "firing"
        return before, None
    if not reading.recovered:
        return msgspec.structs.replace(before, recovering_since=None), None
    since = before.recovering_since or now
    if now - since >= timing.resolve_after:
        return RuleState(state="ok", changed_at=now, resolved_at=now), "resolved"
    return msgspec.structs.replace(before, recovering_since=since), None
