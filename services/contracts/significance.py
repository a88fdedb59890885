"""Is one group of samples slower than another, with what confidence: the statistics of
the release comparison (and, later, of regression alerts), on histogram rollups.

The rollups keep each metric as counts per log-scale bin (contracts.metrics: bins ~2 %
wide), so the method works on bins, not on raw values:

- **p75, per side: interpolated inside its bin.** The samples of a bin are taken as spread
  evenly over it on the log scale, so the p75 is the point where that piecewise log-linear
  distribution function crosses 0.75 (a bin's midpoint or edge instead would move in
  whole bins and add their rounding to every change).
- **Its standard error: the sample quantile's asymptotic one**, √(q(1-q)/n) / g, where g,
  the density of log values at the p75, is read from the bins as the share of samples
  between the ranks n·q ∓ m over the log distance between them (Siddiqui's estimator),
  m from Hall and Sheather's bandwidth (~67 ranks each side at n = 1,000). The 95 %
  order-statistic interval used before (±27 ranks, bin midpoints) gave a noisier g whose
  low draws called 5.4 % of A/A comparisons changed (50,000 at 1,000 page views a side,
  95 % CI 5.2-5.6 %); this gives 4.6 % (4.5-4.8 %), and stays under 5 % from 100 to
  10,000 page views a side. A p75's 95 % interval is never narrower than one bin.
- **The change, release over baseline: on the log scale.** The sides are independent, so
  the difference of log p75s has the root sum of squares of their standard errors; a
  z-test gives its p-value and exp(difference ± z·se) - 1 the interval of the change.
- **Except next to zero: a count test.** Where a side's zeros reach that window (CLS on
  sites where ~3/4 of pages shift nothing), the p75 jumps between 0 and a small value and
  the z-test called 45 % of A/A comparisons changed at 74 % zeros. The p-value is then
  Mood's: the two sides' shares below their pooled p75, compared as proportions (~5 % at
  any share of zeros). The interval of the change is still the asymptotic one there, and
  is too narrow: the verdict follows the p-value.
- **Many routes at once: Benjamini-Hochberg.** A comparison tests dozens of routes; at
  5 % each, a few would "regress" by chance every time. The routes' p-values are
  adjusted so the share of false discoveries among those called stays at 5 %.
- **A verdict needs enough samples and a change the bins can resolve**: MIN_SAMPLES per
  side, and at least MIN_EFFECT (about one bin's width) besides significance.

No test of a sample p75 can do much better: the power to call a 10 % p75 regression with
1,000 page views a side is within two points of the asymptotic limit for every metric
(LCP 74 %, FCP 81 %, TTFB 55 %, INP 50 %, CLS 17 %), which `make bench-regressions`
prints next to what this method achieves, with the false positives on A/A comparisons.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from functools import cached_property
from itertools import accumulate
from statistics import NormalDist
from typing import Literal

import msgspec

from services.contracts.metrics import GAMMA, SPECS, ZERO_BIN, Metric

Q = 0.75  # Core Web Vitals are assessed at p75
ALPHA = 0.05
Z = NormalDist().inv_cdf(1 - ALPHA / 2)  # two-sided 95 %
MIN_SAMPLES = 100  # per side; below it a p75's interval spans much of the distribution
# A change smaller than about one bin (γ - 1 ≈ 2 %) is below what the histograms resolve.
MIN_EFFECT = GAMMA - 1
# Floor of a p75 on the log scale, 1 % of the metric's good threshold: CLS is often 0.
FLOOR_SHARE = 0.01
LOG_GAMMA = math.log(GAMMA)
# Hall and Sheather's (1988) bandwidth for the density at a quantile, as a share of n:
# BANDWIDTH · n^(-1/3), the one whose studentized quantile's tests keep their level best.
_ZQ = NormalDist().inv_cdf(Q)
BANDWIDTH: float = Z ** (2 / 3) * (1.5 * NormalDist().pdf(_ZQ) ** 2 / (2 * _ZQ**2 + 1)) ** (1 / 3)

Verdict = Literal["regressed", "improved", "unchanged", "insufficient_data"]


class Side(msgspec.Struct, frozen=True, dict=True):  # dict: room for the cached sums
    """One side's samples of one metric: its bins ascending, and the samples in each (at
    least one). Two tuples, not pairs: a month's release makes ~100,000 of them, and
    building a tuple per pair took half of grouping them (profiled, issue 13)."""

    bins: tuple[int, ...]
    counts: tuple[int, ...]
    good: int

    @classmethod
    def of(cls, counts: dict[int, int], good: int) -> Side:
        """From samples per bin, in any order (bins with none are left out)."""
        held = sorted((b, n) for b, n in counts.items() if n > 0)
        return cls(tuple(b for b, _ in held), tuple(n for _, n in held), good)

    @cached_property
    def cumulative(self) -> list[int]:
        """Samples up to and including each bin. Once per side: a comparison finds ranks
        in it tens of times, and walking the bins each time took half of a release
        comparison's time (profiled, issue 13)."""
        return list(accumulate(self.counts))

    @property
    def count(self) -> int:
        return self.cumulative[-1] if self.bins else 0


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
    summaries = summarize(metric, release), summarize(metric, baseline)
    if release.count == 0 or baseline.count == 0:
        empty = Change(None, None, None, None, None)
        return Comparison("insufficient_data", *summaries, empty)
    (p_r, se_r), (p_b, se_b) = _log_p75(metric, release), _log_p75(metric, baseline)
    difference, se = p_r - p_b, math.hypot(se_r, se_b)
    if _near_zero(release) or _near_zero(baseline):
        p_value = _count_test(release, baseline)
    else:
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


def summarize(metric: Metric, side: Side) -> SideSummary:
    n = side.count
    if n == 0:
        return SideSummary(0, None, None)
    bin_index, share = _position(side, Q * n)
    p75 = 0.0 if bin_index == ZERO_BIN else math.exp(_log_in_bin(metric, bin_index, share))
    return SideSummary(n, p75, side.good / n)


def _log_p75(metric: Metric, side: Side) -> tuple[float, float]:
    """log p75 and its standard error, from the density of log values around it."""
    n = side.count
    rank, reach = Q * n, _reach(n)
    low, high = max(rank - reach, 0.0), min(rank + reach, float(n))
    width = _log_value(metric, side, high) - _log_value(metric, side, low)
    # √(q(1-q)/n) / density, the density being (high - low)/n samples per `width`.
    se = math.sqrt(Q * (1 - Q) / n) * width * n / (high - low)
    return _log_value(metric, side, rank), max(se, LOG_GAMMA / (2 * Z))


def _near_zero(side: Side) -> bool:
    """Whether the zero bin reaches the window around the p75 the density is read from."""
    n = side.count
    zeros = side.counts[0] if side.bins[0] == ZERO_BIN else 0
    return zeros >= Q * n - _reach(n)


def _count_test(release: Side, baseline: Side) -> float:
    """The p-value of the two sides' shares below their pooled p75 (Mood's test)."""
    pooled: dict[int, int] = {}
    for side in (release, baseline):
        for bin_index, n in zip(side.bins, side.counts, strict=True):
            pooled[bin_index] = pooled.get(bin_index, 0) + n
    merged = Side.of(pooled, 0)
    at, share = _position(merged, Q * merged.count)

    def below(side: Side) -> float:
        held = bisect_left(side.bins, at)  # the bins below `at`, and `at` itself if held
        before = side.cumulative[held - 1] if held else 0
        in_at = side.counts[held] if held < len(side.bins) and side.bins[held] == at else 0
        return (before + share * in_at) / side.count

    # Q(1-Q) bounds the variance: splitting the p75's bin by `share` only lowers it.
    se = math.sqrt(Q * (1 - Q) * (1 / release.count + 1 / baseline.count))
    return math.erfc(abs(below(release) - below(baseline)) / se / math.sqrt(2))


def _reach(n: int) -> float:
    """Hall and Sheather's window, in ranks each side of the p75."""
    return float(BANDWIDTH * n ** (2 / 3))


def _log_value(metric: Metric, side: Side, rank: float) -> float:
    """log of the value at a (fractional) rank, floored: the zero bin is the floor."""
    floor = math.log(SPECS[metric].good_max * FLOOR_SHARE)
    bin_index, share = _position(side, rank)
    if bin_index == ZERO_BIN:
        return floor
    return max(_log_in_bin(metric, bin_index, share), floor)


def _log_in_bin(metric: Metric, bin_index: int, share: float) -> float:
    """log of the value `share` of the way through the bin (γ^(i-1), γ^i] on the log scale."""
    return (bin_index - 1 + share) * LOG_GAMMA - math.log(SPECS[metric].unit_scale)


def _position(side: Side, rank: float) -> tuple[int, float]:
    """The bin holding the rank-th smallest sample (rank from 0 to n, fractional) and how
    far through that bin's samples it is. Bins hold at least one sample each."""
    cumulative = side.cumulative
    at = bisect_left(cumulative, rank)  # the first bin whose samples reach the rank
    if at == len(cumulative):
        return side.bins[-1], 1.0
    n = side.counts[at]
    seen = cumulative[at] - n
    return side.bins[at], min(max((rank - seen) / n, 0.0), 1.0)


def _good_share_change(release: Side, baseline: Side) -> tuple[float, tuple[float, float]]:
    """The difference of the good shares and its Wald interval."""
    g_r, g_b = release.good / release.count, baseline.good / baseline.count
    se = math.sqrt(g_r * (1 - g_r) / release.count + g_b * (1 - g_b) / baseline.count)
    delta = g_r - g_b
    return delta, (delta - Z * se, delta + Z * se)
