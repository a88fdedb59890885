"""The live event: after a batch commits, one `LiveBatch` per project is appended to the
live stream (`contracts.live.publish_batch`), which every realtime instance follows.

Live is best effort: the data is already stored, so a failed publish is counted, logged
and the job still succeeds.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from datetime import datetime

import redis
import structlog

from services.contracts.live import (
    LIVE_PAGE_VIEWS_MAX,
    LiveBatch,
    LiveMetricValue,
    LivePageView,
    publish_batch,
)
from services.contracts.metrics import DEVICE_NAMES, RATING_NAMES, Metric
from services.contracts.redis_client import sync_redis
from services.contracts.settings import Settings
from services.workers import counters
from services.workers.batches import Outcome
from services.workers.normalize import Report

log = structlog.get_logger()
LOST_SUMMARY_EVERY_S = 30.0


def live_batches(outcome: Outcome) -> list[LiveBatch]:
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    bins: dict[int, dict[str, Counter[int]]] = defaultdict(lambda: defaultdict(Counter))
    for change in outcome.changes:
        project_id = change.new.project_id
        counts[project_id][Metric(change.new.metric).name] += 1
        bins[project_id][Metric(change.new.metric).name][change.new.bin] += 1
        if change.old is not None:
            bins[project_id][Metric(change.old.metric).name][change.old.bin] -= 1
    views = _page_views(outcome.reports.values())
    return [
        LiveBatch(
            project_id=project_id,
            counts=dict(counts[project_id]),
            bins={m: {b: n for b, n in c.items() if n} for m, c in bins[project_id].items()},
            page_views=views.get(project_id, []),
        )
        for project_id in sorted(counts)
    ]


def _page_views(reports: Iterable[Report]) -> dict[int, list[LivePageView]]:
    """Each project's newest LIVE_PAGE_VIEWS_MAX page views, oldest first (the contract's order)."""
    grouped: dict[tuple[int, datetime, str, str], list[Report]] = defaultdict(list)
    for report in reports:
        grouped[(report.project_id, report.time, report.page.path, report.navigation_id)].append(
            report
        )
    by_arrival = sorted(grouped.values(), key=lambda rs: max(r.received_at for r in rs))
    newest: dict[int, deque[list[Report]]] = defaultdict(lambda: deque(maxlen=LIVE_PAGE_VIEWS_MAX))
    for group in by_arrival:
        newest[group[0].project_id].append(group)
    return {
        project_id: [_page_view(group) for group in groups] for project_id, groups in newest.items()
    }


def _page_view(group: list[Report]) -> LivePageView:
    first = group[0]
    return LivePageView(
        route=first.page.route,
        device=DEVICE_NAMES[first.device],
        country=first.country,
        values=[
            LiveMetricValue(metric=r.metric.name, value=r.value, rating=RATING_NAMES[r.rating])
            for r in sorted(group, key=lambda r: r.metric)
        ],
    )


class LivePublisher:
    """One Redis client per process; it connects on first use."""

    def __init__(self, settings: Settings) -> None:
        # Bounded timeouts: a slow Redis delays a job by seconds at most, never hangs it.
        self.client = sync_redis(settings)
        self._lost = 0  # since the last log line
        self._logged_at = -LOST_SUMMARY_EVERY_S

    def publish(self, batches: list[LiveBatch]) -> None:
        for batch in batches:
            try:
                publish_batch(self.client, batch)
            except (redis.RedisError, OSError) as exc:  # best effort: the rows are committed
                counters.LIVE_PUBLISH_FAILURES.inc()
                self._lost += 1
                # A Redis outage fails every publish: one line per interval, not per batch.
                if time.monotonic() - self._logged_at >= LOST_SUMMARY_EVERY_S:
                    log.warning("live_events_lost", events=self._lost, error=repr(exc))
                    self._lost, self._logged_at = 0, time.monotonic()
