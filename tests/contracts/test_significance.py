"""The release comparison's statistics on histogram bins (services/query/significance.py).

Deterministic cases only: how often the method errs on random samples is what
`make bench-regressions` measures, over thousands of simulated releases."""

from __future__ import annotations

import collections
import math
from statistics import NormalDist

import pytest

from services.contracts.metrics import GAMMA, Metric, Rating, bin_of, rating
from services.contracts.significance import (
    ALPHA,
    MIN_EFFECT,
    MIN_SAMPLES,
    Q,
    Side,
    Z,
    adjust,
    compare,
)


def side(metric: Metric, values: list[float]) -> Side:
    counts = collections.Counter(bin_of(metric, v) for v in values)
    good = sum(1 for v in values if rating(metric, v) is Rating.GOOD)
    return Side.of(counts, good)


def spread(median: float, n: int, factor: float = 1.0) -> list[float]:
    """n values evenly spread in log space over median·e^±1.5 (no randomness)."""
    return [median * factor * math.exp(-1.5 + 3 * (i + 0.5) / n) for i in range(n)]


def lognormal(median: float, sigma: float, n: int) -> list[float]:
    """The n quantiles (i + 0.5)/n of a lognormal: a sample without randomness."""
    normal = NormalDist(0, sigma)
    return [median * math.exp(normal.inv_cdf((i + 0.5) / n)) for i in range(n)]


class TestCompare:
    def test_identical_sides_are_unchanged_with_no_change(self) -> None:
        """The same samples on both sides: change 0, p-value 1, an interval around 0."""
        values = side(Metric.LCP, spread(2200, 1000))
        result = compare(Metric.LCP, values, values)
        assert result.verdict == "unchanged"
        assert result.change.p75_relative == 0
        assert result.change.p_value == pytest.approx(1)
        low, high = result.change.p75_ci95  # type: ignore[misc]
        assert low < 0 < high
        assert result.release == result.baseline

    def test_a_30_percent_slower_release_is_regressed_with_its_size(self) -> None:
        """Every value 30 % higher: regressed, the relative change within a bin of +30 % and
        inside its interval, fewer good samples."""
        baseline = side(Metric.LCP, spread(2200, 2000))
        release = side(Metric.LCP, spread(2200, 2000, factor=1.3))
        result = compare(Metric.LCP, release, baseline)
        assert result.verdict == "regressed"
        assert result.change.p75_relative == pytest.approx(0.3, abs=MIN_EFFECT)
        low, high = result.change.p75_ci95  # type: ignore[misc]
        assert low < result.change.p75_relative < high  # type: ignore[operator]
        assert result.change.p_value < ALPHA  # type: ignore[operator]
        assert result.change.good_share_delta < 0  # type: ignore[operator]

    def test_a_faster_release_is_improved(self) -> None:
        result = compare(
            Metric.INP,
            side(Metric.INP, spread(200, 2000, 0.7)),
            side(Metric.INP, spread(200, 2000)),
        )
        assert result.verdict == "improved"
        assert result.change.p75_relative < 0  # type: ignore[operator]

    def test_a_p75_inside_a_bin_is_interpolated_on_the_log_scale(self) -> None:
        """100 samples in bin 300 and 100 in bin 301: the 150th is halfway through bin 301's,
        so the p75 is γ^300.5 (not the bin's midpoint or an edge)."""
        result = compare(Metric.LCP, Side((300, 301), (100, 100), 0), Side((300,), (200,), 0))
        assert result.release.p75 == pytest.approx(GAMMA**300.5, rel=1e-12)
        assert result.baseline.p75 == pytest.approx(GAMMA**299.75, rel=1e-12)

    def test_a_shift_smaller_than_a_bin_is_measured_not_rounded_to_bins(self) -> None:
        """Every value 1 % higher (half a bin) reads as +1 %, not 0 or one bin's +2 %, and
        the change is the ratio of the two p75s shown."""
        baseline = side(Metric.LCP, spread(2200, 20_000))
        release = side(Metric.LCP, spread(2200, 20_000, factor=1.01))
        result = compare(Metric.LCP, release, baseline)
        assert result.change.p75_relative == pytest.approx(0.01, abs=0.001)
        ratio = result.release.p75 / result.baseline.p75  # type: ignore[operator]
        assert result.change.p75_relative == pytest.approx(ratio - 1, abs=1e-12)

    @pytest.mark.parametrize("sigma", [0.55, 0.8, 1.2])
    def test_the_interval_is_the_sample_p75s_asymptotic_one(self, sigma: float) -> None:
        """For a lognormal the standard error of log p75 is √(q(1-q)/n)·sigma/φ(z_q); read from
        the bins it is within 5 %, so the interval of an A/A change is ±z·√2 of it."""
        n = 4000
        values = side(Metric.INP, lognormal(150, sigma, n))
        low, high = compare(Metric.INP, values, values).change.p75_ci95  # type: ignore[misc]
        unit = NormalDist()
        expected = math.sqrt(Q * (1 - Q) / n) * sigma / unit.pdf(unit.inv_cdf(Q))
        assert (math.log1p(high) - math.log1p(low)) / (2 * Z * math.sqrt(2)) == pytest.approx(
            expected, rel=0.05
        )

    def test_too_few_samples_on_either_side_is_insufficient_data(self) -> None:
        """Below MIN_SAMPLES on a side the verdict is insufficient_data, however large the
        change; figures are still given where there are samples."""
        few = side(Metric.LCP, spread(2200, MIN_SAMPLES - 1, factor=3))
        many = side(Metric.LCP, spread(2200, 5000))
        result = compare(Metric.LCP, few, many)
        assert result.verdict == "insufficient_data"
        assert result.release.count == MIN_SAMPLES - 1
        assert result.change.p75_relative is not None
        empty = compare(Metric.LCP, Side((), (), 0), many)
        assert empty.verdict == "insufficient_data"
        assert empty.release.p75 is None and empty.change.p_value is None

    def test_a_change_smaller_than_a_bin_is_unchanged_even_when_significant(self) -> None:
        """With a huge sample a 1 % shift is "significant", but below the bins' resolution:
        unchanged."""
        baseline = side(Metric.LCP, spread(2200, 200_000))
        release = side(Metric.LCP, spread(2200, 200_000, factor=1.01))
        assert compare(Metric.LCP, release, baseline).verdict == "unchanged"

    def test_cls_of_zero_on_both_sides_is_unchanged(self) -> None:
        """A p75 of 0 (most pages shift nothing) on both sides: no division by zero."""
        zeros = side(Metric.CLS, [0.0] * 500)
        result = compare(Metric.CLS, zeros, zeros)
        assert result.verdict == "unchanged"
        assert result.release.p75 == 0

    def test_a_p75_at_the_edge_of_zero_cls_is_tested_on_counts(self) -> None:
        """Three quarters of pages shifting nothing: 755 zeros of 1,000 put one side's p75
        at 0 and 740 the other's just above it, a ratio of many bins from 15 pages;
        compared by the shares below their pooled p75 that is no change."""
        positives = [0.05 * math.exp(-1.5 + 3 * (i + 0.5) / 260) for i in range(260)]
        release = side(Metric.CLS, [0.0] * 755 + positives[15:])
        baseline = side(Metric.CLS, [0.0] * 740 + positives)
        result = compare(Metric.CLS, release, baseline)
        assert result.release.p75 == 0 and result.baseline.p75 > 0  # type: ignore[operator]
        assert result.change.p_value > 0.3  # type: ignore[operator]
        assert result.verdict == "unchanged"

    def test_cls_moving_off_zero_is_regressed(self) -> None:
        """From 800 zeros of 1,000 to 650, the p75 leaves 0: regressed."""
        positives = [0.05 * math.exp(-1.5 + 3 * (i + 0.5) / 350) for i in range(350)]
        release = side(Metric.CLS, [0.0] * 650 + positives)
        baseline = side(Metric.CLS, [0.0] * 800 + positives[:200])
        result = compare(Metric.CLS, release, baseline)
        assert result.change.p_value < 1e-6  # type: ignore[operator]
        assert result.verdict == "regressed"


class TestAdjust:
    def test_benjamini_hochberg_keeps_strong_findings_and_drops_marginal_ones(self) -> None:
        """Among 40 routes, one strong regression stays regressed after adjustment, while one
        just under the 5 % line alone is no longer called."""
        flat = side(Metric.LCP, spread(2200, 400))
        strong = compare(Metric.LCP, side(Metric.LCP, spread(2200, 400, 1.5)), flat)
        marginal = next(
            c
            for f in (1.05 + 0.005 * k for k in range(40))
            if (c := compare(Metric.LCP, side(Metric.LCP, spread(2200, 400, f)), flat)).verdict
            == "regressed"
        )
        assert marginal.change.p_value > ALPHA / 40  # type: ignore[operator]
        unchanged = compare(Metric.LCP, flat, flat)
        adjusted = adjust([strong, marginal, *[unchanged] * 38])
        assert [c.verdict for c in adjusted[:2]] == ["regressed", "unchanged"]
        assert all(c.verdict == "unchanged" for c in adjusted[2:])

    def test_insufficient_data_takes_no_part(self) -> None:
        """Comparisons without enough samples keep their verdict and do not count in m."""
        flat = side(Metric.LCP, spread(2200, 400))
        strong = compare(Metric.LCP, side(Metric.LCP, spread(2200, 400, 1.5)), flat)
        thin = compare(Metric.LCP, side(Metric.LCP, spread(2200, 10)), flat)
        adjusted = adjust([strong, thin])
        assert [c.verdict for c in adjusted] == ["regressed", "insufficient_data"]
