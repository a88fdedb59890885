"""Percentiles and medians, as the bench reports them."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1): always a value that was observed."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """Milliseconds; an unanswered request is +inf and shows as such."""
    ordered = sorted(seconds)
    return {
        "count": len(ordered),
        **{f"p{label}": percentile(ordered, q) * 1000 for label, q in QUANTILES},
        "max": (ordered[-1] * 1000) if ordered else math.nan,
    }


QUANTILES = (("50", 0.50), ("90", 0.90), ("99", 0.99), ("99.9", 0.999))


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan
