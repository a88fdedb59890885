"""Which of two reports of one metric id is the later measurement: the one rule behind
both the in-batch choice (normalize.latest_per_key) and the upsert (upsert.REPLACE_NEWER).

web-vitals reports CLS and INP (and LCP on some paths) again under the same id as they
change, and every report of one id lands on one row. Arrival order is not measurement
order: a beacon sent again later (the SDK's retry, a network duplicate, a delayed job)
carries an older value than the re-report stored before it. So, in this order:

1. the higher `seq` wins: the beacon's place among those its page sent (wire v1);
2. for one seq (senders without it: 0), the later arrival at ingest, as before seq;
3. for one arrival, the larger value (a CLS or LCP never shrinks within an id).

Not "the largest value" alone: INP may fall between two reports of one id, since
web-vitals' p98 estimate skips one more of the worst interactions every 50 interactions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

# The same order as `order` below, as columns of `vitals` and its staging table.
COLUMNS = ("seq", "received_at", "value")
_staged = ", ".join(f"s.{c}" for c in COLUMNS)
_stored = ", ".join(f"v.{c}" for c in COLUMNS)
# SQL: the staged report (s) is a later measurement than the stored row (v).
STAGED_IS_NEWER = f"({_staged}) > ({_stored})"


class Measurement(Protocol):
    @property
    def seq(self) -> int: ...
    @property
    def received_at(self) -> datetime: ...
    @property
    def value(self) -> float: ...


def order(report: Measurement) -> tuple[int, datetime, float]:
    """A key under which the later measurement of one metric id sorts last."""
    return (report.seq, report.received_at, report.value)
