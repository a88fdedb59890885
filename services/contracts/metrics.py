"""The metric vocabulary shared by writers and readers: ids, thresholds, histogram bins.

Percentiles come from a mergeable log-scale histogram (DDSketch, relative accuracy
ALPHA): bin i holds values in (γ^(i-1), γ^i] with γ = (1+α)/(1-α), in each metric's
unit (ms; CLS in thousandths). Zero has its own bin. Any quantile read back from summed
bin counts is within α of the exact nearest-rank value.
"""

from __future__ import annotations

import math
from enum import IntEnum

import msgspec


class Metric(IntEnum):
    LCP = 1
    INP = 2
    CLS = 3
    FCP = 4
    TTFB = 5


class Rating(IntEnum):
    GOOD = 0
    NEEDS_IMPROVEMENT = 1
    POOR = 2


class Device(IntEnum):
    OTHER = 0
    DESKTOP = 1
    MOBILE = 2
    TABLET = 3


RATING_NAMES = {
    Rating.GOOD: "good",
    Rating.NEEDS_IMPROVEMENT: "needs-improvement",
    Rating.POOR: "poor",
}
DEVICE_NAMES = {
    Device.OTHER: "other",
    Device.DESKTOP: "desktop",
    Device.MOBILE: "mobile",
    Device.TABLET: "tablet",
}
NAVIGATION_TYPES = (
    "navigate", "reload", "back-forward", "back-forward-cache", "prerender", "restore",
    "soft-navigation",
)  # fmt: skip


class MetricSpec(msgspec.Struct, frozen=True):
    good_max: float  # good ≤ good_max
    poor_min_exclusive: float  # poor > poor_min_exclusive
    unit_scale: float  # metric value × unit_scale = histogram unit
    max_value: float  # larger values are measurement garbage, rejected at ingest


# web-vitals' own thresholds (LCPThresholds, INPThresholds, ...). Upper bounds: an hour for
# load milestones, ten minutes for one interaction, and a CLS no real page reaches.
SPECS: dict[Metric, MetricSpec] = {
    Metric.LCP: MetricSpec(2500, 4000, 1, 3_600_000),
    Metric.INP: MetricSpec(200, 500, 1, 600_000),
    Metric.CLS: MetricSpec(0.1, 0.25, 1000, 100),
    Metric.FCP: MetricSpec(1800, 3000, 1, 3_600_000),
    Metric.TTFB: MetricSpec(800, 1800, 1, 3_600_000),
}

ALPHA = 0.01
GAMMA = (1 + ALPHA) / (1 - ALPHA)
_LOG_GAMMA = math.log(GAMMA)
# smallint's minimum: sorts before every real bin, so cumulative walks need no special case.
ZERO_BIN = -32768
# The smallest real bin the smallint column holds: values up to γ^MIN_BIN (about 1e-285
# units). Ingest accepts any finite value ≥ 0, so a CLS of 1e-300 (or a subnormal) is
# valid input whose log bin (≈ -34,000) would overflow the column and fail the batch.
MIN_BIN = ZERO_BIN + 1


def rating(metric: Metric, value: float) -> Rating:
    spec = SPECS[metric]
    if value <= spec.good_max:
        return Rating.GOOD
    if value <= spec.poor_min_exclusive:
        return Rating.NEEDS_IMPROVEMENT
    return Rating.POOR


def bin_of(metric: Metric, value: float) -> int:
    """The value's histogram bin; ZERO_BIN for 0 and for positive values below MIN_BIN's.

    Like DDSketch's minimum indexable value: what is too small to index counts as zero in
    the histogram, the nearest value it can represent. Only the bin is clamped; the raw
    `value` column keeps the value exactly as sent.
    """
    scaled = value * SPECS[metric].unit_scale
    if scaled <= 0:
        return ZERO_BIN
    index = math.ceil(math.log(scaled) / _LOG_GAMMA)
    return index if index >= MIN_BIN else ZERO_BIN


def bin_value(metric: Metric, bin_index: int) -> float:
    """The bin's representative value in the metric's unit: within ALPHA of anything in it."""
    if bin_index == ZERO_BIN:
        return 0.0
    return 2 * GAMMA**bin_index / (GAMMA + 1) / SPECS[metric].unit_scale
