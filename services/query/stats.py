"""What every view says about a group of samples: count, percentiles, rating split."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from services.contracts.metrics import RATING_NAMES, Metric, Rating, bin_value
from services.query.reads.histograms import QuantileRow
from services.query.timerange import TimeRange

# Below this many samples a percentile is mostly noise: shown, but flagged.
LOW_SAMPLE = 30
Percentile = Literal["p50", "p75", "p90", "p95", "p99"]
PERCENTILES: tuple[Percentile, ...] = ("p50", "p75", "p90", "p95", "p99")
RatingName = Literal["good", "needs-improvement", "poor"]
Unit = Literal["ms", "score"]


def unit_of(metric: Metric) -> Unit:
    return "score" if metric is Metric.CLS else "ms"


class Window(msgspec.Struct, frozen=True):
    start: datetime = msgspec.field(name="from")
    end: datetime = msgspec.field(name="to")
    tz: str = "UTC"

    @classmethod
    def of(cls, time_range: TimeRange) -> Window:
        return cls(time_range.start, time_range.end, time_range.tz)


class RatingCounts(msgspec.Struct, frozen=True):
    good: int = 0
    needs_improvement: int = 0
    poor: int = 0


class RatingShares(msgspec.Struct, frozen=True):
    """Fractions of the count, 0 to 1; all 0 when there are no samples."""

    good: float = 0.0
    needs_improvement: float = 0.0
    poor: float = 0.0


class Stats(msgspec.Struct, frozen=True):
    count: int
    low_sample: bool
    p50: float | None
    p75: float | None
    p90: float | None
    p95: float | None
    p99: float | None
    # The p75 sample's own rating (Core Web Vitals are assessed at p75); exact even where
    # p75, which is within 1 %, sits on the other side of a threshold.
    rating: RatingName | None
    ratings: RatingCounts
    shares: RatingShares

    def percentile(self, name: Percentile) -> float | None:
        value: float | None = getattr(self, name)
        return value


def percentile_of(metric: Metric, row: QuantileRow, name: Percentile) -> float:
    return bin_value(metric, getattr(row, name))


def stats_of(metric: Metric, row: QuantileRow | None) -> Stats:
    if row is None or row.total == 0:
        return Stats(0, True, None, None, None, None, None, None, RatingCounts(), RatingShares())
    values = {name: percentile_of(metric, row, name) for name in PERCENTILES}
    total = row.total
    return Stats(
        count=total,
        low_sample=total < LOW_SAMPLE,
        p50=values["p50"],
        p75=values["p75"],
        p90=values["p90"],
        p95=values["p95"],
        p99=values["p99"],
        rating=RATING_NAMES[Rating(row.p75_rating)],  # type: ignore[arg-type]
        ratings=RatingCounts(row.good, row.needs_improvement, row.poor),
        shares=RatingShares(row.good / total, row.needs_improvement / total, row.poor / total),
    )
