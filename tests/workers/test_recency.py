"""The one rule that orders reports of one metric id, as Python and as SQL."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from services.workers import recency
from services.workers.normalize import normalize
from tests.workers.factories import accepted, beacon, report


class TestRecency:
    def test_python_order_and_sql_comparison_name_the_same_fields_in_the_same_order(self) -> None:
        """`order` of a normalized report is its COLUMNS in order, and the SQL compares exactly those columns, staged against stored."""
        (r,) = normalize(accepted(1, beacon(report("CLS", 0.2, "c"), seq=3)), [])
        assert recency.order(r) == tuple(getattr(r, column) for column in recency.COLUMNS)
        assert recency.COLUMNS == ("seq", "received_at", "value")
        assert recency.STAGED_IS_NEWER == (
            "(s.seq, s.received_at, s.value) > (v.seq, v.received_at, v.value)"
        )

    def test_seq_outranks_arrival_which_outranks_value(self) -> None:
        """A higher seq wins whatever the arrival and value; for one seq the later arrival; for one arrival the larger value."""
        early, late = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
        (base,) = normalize(accepted(1, beacon(report("INP", 100, "i"))), [])

        def at(seq: int, received_at: datetime, value: float) -> tuple[int, datetime, float]:
            return recency.order(
                msgspec.structs.replace(base, seq=seq, received_at=received_at, value=value)
            )

        assert at(1, early, 50) > at(0, late, 900)
        assert at(0, late, 50) > at(0, early, 900)
        assert at(0, late, 60) > at(0, late, 50)
