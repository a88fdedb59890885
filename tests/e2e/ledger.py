"""What ingest answered for every report sent, and the database checked against it.

Answers fall in three kinds:

- accepted (202): the report must be stored, once;
- refused (4xx): it must not be;
- unsettled (503, or no answer at all): ingest promises nothing was acknowledged, but a
  batch whose Redis write was in flight when the request gave up may still have been
  written (services/ingest/commit.py), so the report may or may not be stored.

For each (project, time origin, metric id) the stored value must be that of the last
accepted report, or of an unsettled one sent after it.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Collection
from datetime import datetime

import asyncpg
import msgspec

from services.contracts.wire import Beacon
from services.workers.normalize import from_epoch_ms
from tests.workers.conftest import assert_rollups_exact

Key = tuple[int, datetime, str]  # the vitals primary key: project, time origin, metric id

ACCEPTED = 202
SELECT_STORED = "SELECT project_id, time, metric_id, value FROM vitals"


def keys_of(project_id: int, beacon: Beacon) -> set[Key]:
    origin = from_epoch_ms(beacon.time_origin)
    return {(project_id, origin, report.id) for report in beacon.reports}


class Answer(msgspec.Struct, frozen=True):
    status: int  # 0: no HTTP answer (timeout, connection reset)
    error: str = ""  # the JSON body's error code
    retry_after: str | None = None
    at: float = msgspec.field(default_factory=time.monotonic)  # when the answer came

    @property
    def unsettled(self) -> bool:
        return self.status == 0 or self.status >= 500


class Sent(msgspec.Struct, frozen=True):
    seq: int
    value: float
    answer: Answer


class Ledger:
    def __init__(self) -> None:
        self._seq = itertools.count()
        self.answers: list[Answer] = []
        self.sent: dict[Key, list[Sent]] = {}
        self.accepted_reports = 0

    def record(self, project_id: int, beacon: Beacon, answer: Answer) -> None:
        """Called once the answer is in; the reports of one id are sent one after another,
        so record order is send order for each key."""
        seq = next(self._seq)
        self.answers.append(answer)
        if answer.status == ACCEPTED:
            self.accepted_reports += len(beacon.reports)
        origin = from_epoch_ms(beacon.time_origin)
        for report in beacon.reports:
            key = (project_id, origin, report.id)
            self.sent.setdefault(key, []).append(Sent(seq, report.value, answer))

    @property
    def statuses(self) -> Counter[int]:
        return Counter(a.status for a in self.answers)

    def accepted_keys(self) -> set[Key]:
        return {
            k for k, sends in self.sent.items() if any(s.answer.status == ACCEPTED for s in sends)
        }

    def unsettled_keys(self) -> set[Key]:
        return {k for k, sends in self.sent.items() if any(s.answer.unsettled for s in sends)}

    def allowed_values(self, key: Key) -> set[float]:
        sends = self.sent.get(key, [])
        accepted = [s for s in sends if s.answer.status == ACCEPTED]
        after = accepted[-1].seq if accepted else -1
        later_unsettled = {s.value for s in sends if s.answer.unsettled and s.seq > after}
        return ({accepted[-1].value} if accepted else set()) | later_unsettled

    def re_reported_keys(self) -> set[Key]:
        return {
            k
            for k, sends in self.sent.items()
            if sum(s.answer.status == ACCEPTED for s in sends) > 1
        }


class Verdict(msgspec.Struct, frozen=True):
    rows: int
    accepted_keys: int
    unsettled_but_stored: int  # reports answered 503 whose batch reached Redis anyway


async def assert_stored_as_accepted(
    db: asyncpg.Connection, ledger: Ledger, *, besides: Collection[Key] = ()
) -> Verdict:
    """Raw rows are exactly the accepted keys (plus unsettled ones that made it), each with
    its latest value, and both rollups equal a recount of the raw rows. Rows `besides`
    (sent outside the ledger) are left out of the first two checks."""
    rows = await db.fetch(SELECT_STORED)
    stored = {k: r[3] for r in rows if (k := (r[0], r[1], r[2])) not in besides}
    accepted = ledger.accepted_keys()
    missing = accepted - stored.keys()
    assert not missing, (
        f"{len(missing)} accepted reports are not stored, e.g. {sorted(missing)[:3]}"
    )
    extra = stored.keys() - accepted
    unexplained = extra - ledger.unsettled_keys()
    assert not unexplained, (
        f"{len(unexplained)} stored reports were never accepted: {sorted(unexplained)[:3]}"
    )
    wrong = {
        k: (v, ledger.allowed_values(k))
        for k, v in stored.items()
        if v not in ledger.allowed_values(k)
    }
    assert not wrong, (
        f"{len(wrong)} rows do not hold their latest report: {list(wrong.items())[:3]}"
    )
    await assert_rollups_exact(db)
    return Verdict(rows=len(stored), accepted_keys=len(accepted), unsettled_but_stored=len(extra))
