"""Per project and metric, the rating of the rolling p75; a `status` event on each change.

The p75 comes from the same log-scale bins as everywhere else (nearest rank over summed
bin counts, the bin's representative value, the official thresholds), over a window that
slides in slices so old reports leave it without keeping any of them.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping

from services.contracts.live import LiveBatch, LiveStatus
from services.contracts.metrics import RATING_NAMES, Metric, bin_value, rating

WINDOW_S = 300  # 5 minutes: long enough to smooth single page views, short enough to be "now"
SLICE_S = 10
# Below this many reports in the window a p75 is a coin toss; rating it would only flap.
MIN_SAMPLES = 20
P75 = 0.75


class RollingHistogram:
    """Bin counts of the last `window_s` seconds, kept as per-slice deltas and a running sum."""

    def __init__(self, window_s: float = WINDOW_S, slice_s: float = SLICE_S) -> None:
        self.window_s = window_s
        self.slice_s = slice_s
        self.totals: dict[int, int] = {}
        self._slices: deque[tuple[float, dict[int, int]]] = deque()

    def add(self, deltas: Mapping[int, int], now: float) -> None:
        self._expire(now)
        if not self._slices or now - self._slices[-1][0] >= self.slice_s:
            self._slices.append((now, {}))
        current = self._slices[-1][1]
        for bin_index, delta in deltas.items():
            current[bin_index] = current.get(bin_index, 0) + delta
            self._shift(bin_index, delta)

    def quantile_bin(self, q: float, now: float) -> tuple[int, int] | None:
        """(bin, samples) of the nearest-rank q-quantile, or None while the window is empty."""
        self._expire(now)
        samples = sum(self.totals.values())
        if samples <= 0:
            return None
        rank = max(1, math.ceil(q * samples))
        seen = 0
        for bin_index in sorted(self.totals):
            seen += self.totals[bin_index]
            if seen >= rank:
                return bin_index, samples
        return None  # unreachable: the walk ends at `samples` ≥ rank

    def _expire(self, now: float) -> None:
        while self._slices and now - self._slices[0][0] >= self.window_s:
            for bin_index, delta in self._slices.popleft()[1].items():
                self._shift(bin_index, -delta)

    def _shift(self, bin_index: int, delta: int) -> None:
        total = self.totals.get(bin_index, 0) + delta
        # A replacement can remove a report whose addition already left the window.
        if total > 0:
            self.totals[bin_index] = total
        else:
            self.totals.pop(bin_index, None)


class StatusTracker:
    def __init__(
        self, window_s: float = WINDOW_S, slice_s: float = SLICE_S, min_samples: int = MIN_SAMPLES
    ) -> None:
        self.window_s = window_s
        self.slice_s = slice_s
        self.min_samples = min_samples
        self._windows: dict[tuple[int, str], RollingHistogram] = {}
        self._ratings: dict[tuple[int, str], str] = {}

    def update(self, batch: LiveBatch, now: float) -> list[LiveStatus]:
        """Fold in a project's merged deltas; the statuses whose rating changed."""
        changes: list[LiveStatus] = []
        for name, deltas in batch.bins.items():
            metric = Metric.__members__.get(name)
            if metric is None:  # a metric newer than this instance: counted, not rated
                continue
            key = (batch.project_id, name)
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = RollingHistogram(self.window_s, self.slice_s)
            window.add(deltas, now)
            found = window.quantile_bin(P75, now)
            if found is None or found[1] < self.min_samples:
                continue
            p75 = bin_value(metric, found[0])
            now_rating = RATING_NAMES[rating(metric, p75)]
            previous = self._ratings.get(key)
            if now_rating != previous:
                self._ratings[key] = now_rating
                changes.append(
                    LiveStatus(
                        project_id=batch.project_id,
                        metric=name,
                        p75=p75,
                        rating=now_rating,
                        previous=previous,
                        samples=found[1],
                        window_s=int(self.window_s),
                    )
                )
        return changes
