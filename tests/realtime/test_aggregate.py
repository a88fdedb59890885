"""Merging LiveBatches into one `vitals` event: exact sums, latest page views."""

from __future__ import annotations

from services.contracts.live import LIVE_PAGE_VIEWS_MAX, LiveBatch, LivePageView
from services.realtime.aggregate import PendingEvent


def _view(route: str) -> LivePageView:
    return LivePageView(route=route, device="desktop", country="DE", values=[])


class TestPendingEvent:
    def test_counts_and_bins_add_up(self) -> None:
        """Counts and bin deltas of merged batches are summed per metric and bin."""
        pending = PendingEvent(3)
        pending.add(
            LiveBatch(project_id=3, counts={"LCP": 2}, bins={"LCP": {10: 1, 11: 1}}, page_views=[])
        )
        pending.add(
            LiveBatch(
                project_id=3,
                counts={"LCP": 1, "CLS": 1},
                bins={"LCP": {11: 1}, "CLS": {-32768: 1}},
                page_views=[],
            )
        )
        event = pending.to_batch()
        assert event.project_id == 3
        assert event.counts == {"LCP": 3, "CLS": 1}
        assert event.bins == {"LCP": {10: 1, 11: 2}, "CLS": {-32768: 1}}

    def test_cancelling_deltas_are_dropped(self) -> None:
        """A report moved out of a bin and back leaves no zero entries behind."""
        pending = PendingEvent(3)
        pending.add(
            LiveBatch(project_id=3, counts={"CLS": 1}, bins={"CLS": {5: -1, 6: 1}}, page_views=[])
        )
        pending.add(
            LiveBatch(project_id=3, counts={"CLS": 1}, bins={"CLS": {5: 1, 6: -1}}, page_views=[])
        )
        assert pending.to_batch().bins == {}

    def test_only_the_latest_page_views_are_kept(self) -> None:
        """Page views beyond the cap are dropped oldest first."""
        pending = PendingEvent(3)
        for i in range(LIVE_PAGE_VIEWS_MAX + 5):
            pending.add(LiveBatch(project_id=3, counts={}, bins={}, page_views=[_view(f"/{i}")]))
        routes = [pv.route for pv in pending.to_batch().page_views]
        assert routes == [f"/{i}" for i in range(5, LIVE_PAGE_VIEWS_MAX + 5)]
