"""The rolling p75 behind `status` events: the shared bin math, a sliding window, rating changes."""

from __future__ import annotations

import math

import numpy as np

from services.contracts.live import LiveBatch
from services.contracts.metrics import ALPHA, Metric, bin_of, bin_value
from services.realtime.status import RollingHistogram, StatusTracker


def _bins(metric: Metric, values: list[float]) -> dict[int, int]:
    bins: dict[int, int] = {}
    for value in values:
        bins[bin_of(metric, value)] = bins.get(bin_of(metric, value), 0) + 1
    return bins


def _batch(project_id: int, metric: str, values: list[float]) -> LiveBatch:
    return LiveBatch(
        project_id=project_id,
        counts={metric: len(values)},
        bins={metric: _bins(Metric[metric], values)},
        page_views=[],
    )


class TestRollingHistogram:
    def test_p75_is_within_alpha_of_the_exact_nearest_rank(self) -> None:
        """The p75 read from bins is within α of numpy's nearest-rank p75, for skewed data."""
        values = list(np.random.default_rng(7).lognormal(mean=7.5, sigma=0.8, size=5_000))
        window = RollingHistogram()
        window.add(_bins(Metric.LCP, values), now=0.0)
        found = window.quantile_bin(0.75, now=1.0)
        assert found is not None
        exact = float(np.percentile(values, 75, method="inverted_cdf"))
        assert found[1] == 5_000
        assert math.isclose(bin_value(Metric.LCP, found[0]), exact, rel_tol=ALPHA)

    def test_old_slices_leave_the_window(self) -> None:
        """Reports older than the window no longer count."""
        window = RollingHistogram(window_s=60, slice_s=10)
        window.add({100: 5}, now=0.0)
        window.add({200: 3}, now=30.0)
        assert window.quantile_bin(0.75, now=59.0) == (200, 8)
        assert window.quantile_bin(0.75, now=61.0) == (200, 3)
        assert window.quantile_bin(0.75, now=91.0) is None

    def test_replacement_moves_a_report_between_bins(self) -> None:
        """A -1/+1 delta (a re-sent CLS) moves the report; a removal of an expired report is ignored."""
        window = RollingHistogram(window_s=60, slice_s=10)
        window.add({100: 1}, now=0.0)
        window.add({100: -1, 150: 1}, now=5.0)
        assert window.totals == {150: 1}
        window.add({300: -1, 310: 1}, now=6.0)
        assert window.totals == {150: 1, 310: 1}


class TestStatusTracker:
    def test_first_rating_then_only_changes(self) -> None:
        """The first rated p75 is reported with previous=None; a steady rating is not repeated."""
        tracker = StatusTracker(min_samples=20)
        first = tracker.update(_batch(1, "INP", [150.0] * 20), now=0.0)
        assert [(s.metric, s.rating, s.previous, s.samples) for s in first] == [
            ("INP", "good", None, 20)
        ]
        assert tracker.update(_batch(1, "INP", [120.0] * 20), now=1.0) == []
        crossed = tracker.update(_batch(1, "INP", [350.0] * 40), now=2.0)
        assert [(s.rating, s.previous) for s in crossed] == [("needs-improvement", "good")]

    def test_projects_and_metrics_are_tracked_apart(self) -> None:
        """One project's poor CLS does not touch another project's or another metric's rating."""
        tracker = StatusTracker(min_samples=1)
        assert [s.rating for s in tracker.update(_batch(1, "CLS", [0.5] * 3), now=0.0)] == ["poor"]
        assert [s.rating for s in tracker.update(_batch(2, "CLS", [0.01] * 3), now=0.0)] == ["good"]
        assert [s.rating for s in tracker.update(_batch(1, "TTFB", [100.0]), now=0.0)] == ["good"]

    def test_unknown_metric_is_not_rated(self) -> None:
        """A metric name this instance does not know is skipped, not an error."""
        tracker = StatusTracker(min_samples=1)
        batch = LiveBatch(project_id=1, counts={"XYZ": 1}, bins={"XYZ": {5: 1}}, page_views=[])
        assert tracker.update(batch, now=0.0) == []
