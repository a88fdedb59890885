"""Is one group of samples slower than another, with what confidence: the statistics of
the release comparison (and, later, of regression alerts), on histogram rollups.

The rollups keep each metric as counts per log-scale bin (contracts.metrics: bins ~2 %
wide), so the method must work on bins, not on raw values:

- **p75 and its 95 % interval, per side: order statistics.** Whatever the distribution,
  the number of samples at or below the true p75 is Binomial(n, 0.75), so the samples of
  ranks n·q -/+ z·√(n·q·(1-q)) bound it with ~95 % confidence (Conover). The bins those
  ranks fall in give the interval; no resampling, and exact on bins because ranks are.
- **The change, release over baseline: on the log scale.** Each side's interval gives a
  standard error of log p75 (its half-width over z); the two sides are independent, so
  the difference of logs has the root sum of squares, a z-test gives its p-value and
  exp(difference ± z·se) - 1 the interval of the relative change.
- **Many routes at once: Benjamini-Hochberg.** A comparison tests dozens of routes; at
  5 % each, a few would "regress" by chance every time. The routes' p-values are
  adjusted so the share of false discoveries among those called stays at 5 %.
- **A verdict needs enough samples and a change the bins can resolve**: MIN_SAMPLES per
  side, and at least MIN_EFFECT (about one bin's width) besides significance.

`make bench-regressions` measures what this gives: the false-positive rate on A/A
comparisons and the power to see a 10 % p75 regression with 1,000 page views a side.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import msgspec

from services.contracts.metrics import GAMMA, SPECS, Metric, bin_value

Q = 0.75  # Core Web Vitals are assessed at p75
Z = 1.959964  # two-sided 95 %
ALPHA = 0.05
MIN_SAMPLES = 100  # per side; below it a p75 interval spans much of the distribution
# A change smaller than about one bin (γ - 1 ≈ 2 %) is below what the histograms resolve.
MIN_EFFECT = GAMMA - 1
# Floor of a p75 on the log scale, 1 % of the metric's good threshold: CLS is often 0.
FLOOR_SHARE = 0.01

Verdict = Literal["regressed", "improved", "unchanged", "insufficient_data"]


class Side(msgspec.Struct, frozen=True):
    """One side's samples of one metric: (bin, count) pairs in ascending bin order."""

    bins: tuple[tuple[int, int], ...]
    good: int

    @property
    def count(self) -> int:
        return sum(n for _, n in self.bins)


class SideSummary(msgspec.Struct, frozen=True):
    count: int
    p75: float | None
    good_share: float | None


class Change(msgspec.Struct, frozen=True):
    """Release against baseline; None where a side has no samples."""

    p75_relative: float | None  # +0.18: the release's p75 is 18 % higher
    p75_ci95: tuple[float, float] | None
    p_value: float | None
    good_share_delta: float | None  # -0.05: five points fewer good samples
    good_share_ci95: tuple[float, float] | None


class Comparison(msgspec.Struct, frozen=True):
    verdict: Verdict
    release: SideSummary
    baseline: SideSummary
    change: Change


def compare(metric: Metric, release: Side, baseline: Side) -> Comparison:
    """The unadjusted comparison; `adjust` applies a family's Benjamini-Hochberg cut."""
    summaries = _summary(metric, release), _summary(metric, baseline)
    if release.count == 0 or baseline.count == 0:
        empty = Change(None, None, None, None, None)
        return Comparison("insufficient_data", *summaries, empty)
    (p_r, se_r), (p_b, se_b) = _log_p75(metric, release), _log_p75(metric, baseline)
    difference, se = p_r - p_b, math.hypot(se_r, se_b)
    p_value = math.erfc(abs(difference) / se / math.sqrt(2))
    share_delta, share_ci95 = _good_share_change(release, baseline)
    change = Change(
        p75_relative=math.expm1(difference),
        p75_ci95=(math.expm1(difference - Z * se), math.expm1(difference + Z * se)),
        p_value=p_value,
        good_share_delta=share_delta,
        good_share_ci95=share_ci95,
    )
    verdict = _verdict(release.count, baseline.count, change, significant=p_value < ALPHA)
    return Comparison(verdict, *summaries, change)


def adjust(comparisons: Sequence[Comparison]) -> list[Comparison]:
    """The same comparisons with verdicts cut by Benjamini-Hochberg at ALPHA over the
    family (those with insufficient data take no part)."""
    p_values = {
        i: c.change.p_value
        for i, c in enumerate(comparisons)
        if c.verdict != "insufficient_data" and c.change.p_value is not None
    }
    order = sorted(p_values, key=p_values.__getitem__)
    # The largest rank k with p(k) ≤ k/m·α: it and every smaller p are discoveries.
    cut = max(
        (rank for rank, i in enumerate(order, 1) if p_values[i] <= rank / len(order) * ALPHA),
        default=0,
    )
    discoveries = set(order[:cut])
    return [
        msgspec.structs.replace(
            c,
            verdict=_verdict(
                c.release.count, c.baseline.count, c.change, significant=i in discoveries
            ),
        )
        for i, c in enumerate(comparisons)
    ]


def _verdict(
    release_count: int, baseline_count: int, change: Change, *, significant: bool
) -> Verdict:
    if min(release_count, baseline_count) < MIN_SAMPLES or change.p75_relative is None:
        return "insufficient_data"
    relative = change.p75_relative
    if significant and relative >= MIN_EFFECT:
        return "regressed"
    if significant and relative <= -MIN_EFFECT:
        return "improved"
    return "unchanged"


def _summary(metric: Metric, side: Side) -> SideSummary:
    n = side.count
    if n == 0:
        return SideSummary(0, None, None)
    return SideSummary(n, bin_value(metric, _bin_at(side, math.ceil(Q * n))), side.good / n)


def _log_p75(metric: Metric, side: Side) -> tuple[float, float]:
    """log p75 and its standard error from the order-statistic interval."""
    n = side.count
    spread = Z * math.sqrt(n * Q * (1 - Q))
    low_rank = max(1, math.floor(n * Q - spread))
    high_rank = min(n, math.ceil(n * Q + spread) + 1)
    low, high = _log_value(metric, side, low_rank), _log_value(metric, side, high_rank)
    # An interval inside one bin still has the bin's width of uncertainty.
    se = max(high - low, math.log(GAMMA)) / (2 * Z)
    return _log_value(metric, side, math.ceil(Q * n)), se


def _log_value(metric: Metric, side: Side, rank: int) -> float:
    floor = SPECS[metric].good_max * FLOOR_SHARE
    return math.log(max(bin_value(metric, _bin_at(side, rank)), floor))


def _bin_at(side: Side, rank: int) -> int:
    """The bin of the rank-th smallest sample (1-based)."""
    seen = 0
    for bin_index, n in side.bins:
        seen += n
        if seen >= rank:
            return bin_index
    return side.bins[-1][0]


def _good_share_change(release: Side, baseline: Side) -> tuple[float, tuple[float, float]]:
    """The difference of the good shares and its Wald interval."""
    g_r, g_b = release.good / release.count, baseline.good / baseline.count
    se = math.sqrt(g_r * (1 - g_r) / release.count + g_b * (1 - g_b) / baseline.count)
    delta = g_r - g_b
    return delta, (delta - Z * se, delta + Z * se)
