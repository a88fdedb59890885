"""Merging LiveBatches: what the batches since a project's last `vitals` event add up to.

The sum of LiveBatches is itself a LiveBatch, so the `vitals` event carries that shape:
counts and bin deltas add up exactly (the dashboard's rolling p75 needs every one), page
views are the latest few.
"""

from __future__ import annotations

from collections import deque

from services.contracts.live import LIVE_PAGE_VIEWS_MAX, LiveBatch, LivePageView


class PendingEvent:
    __slots__ = ("bins", "counts", "page_views", "project_id")

    def __init__(self, project_id: int) -> None:
        self.project_id = project_id
        self.counts: dict[str, int] = {}
        self.bins: dict[str, dict[int, int]] = {}
        self.page_views: deque[LivePageView] = deque(maxlen=LIVE_PAGE_VIEWS_MAX)

    def add(self, batch: LiveBatch) -> None:
        for metric, count in batch.counts.items():
            self.counts[metric] = self.counts.get(metric, 0) + count
        for metric, deltas in batch.bins.items():
            merged = self.bins.setdefault(metric, {})
            for bin_index, delta in deltas.items():
                merged[bin_index] = merged.get(bin_index, 0) + delta
        self.page_views.extend(batch.page_views)

    def to_batch(self) -> LiveBatch:
        # A replaced CLS/INP value moves a report between bins: deltas that cancel are dropped.
        bins = {
            metric: {b: d for b, d in deltas.items() if d} for metric, deltas in self.bins.items()
        }
        return LiveBatch(
            project_id=self.project_id,
            counts=self.counts,
            bins={metric: deltas for metric, deltas in bins.items() if deltas},
            page_views=list(self.page_views),
        )
