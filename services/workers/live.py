"""The live event: after a batch commits, one `LiveBatch` per project goes to the realtime
server through socket.io's RedisManager (write-only), to the project's room.

Live is best effort: the data is already stored, so a failed publish is logged and the
job still succeeds.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime

import msgspec
import socketio
import structlog

from services.contracts.live import (
    SOCKETIO_CHANNEL,
    VITALS_EVENT,
    LiveBatch,
    LiveMetricValue,
    LivePageView,
    project_room,
)
from services.contracts.metrics import DEVICE_NAMES, RATING_NAMES, Metric
from services.contracts.settings import Settings
from services.workers import counters
from services.workers.batches import Outcome
from services.workers.normalize import Report

# The feed shows the newest page views; counts and bins carry the totals. A bound keeps one
# large group-commit batch from becoming a megabyte pub/sub message.
MAX_PAGE_VIEWS = 100

log = structlog.get_logger()


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
    grouped: dict[tuple[int, datetime, str, str], list[Report]] = defaultdict(list)
    for report in reports:
        grouped[(report.project_id, report.time, report.page.path, report.navigation_id)].append(
            report
        )
    newest = sorted(grouped.values(), key=lambda rs: max(r.received_at for r in rs), reverse=True)
    views: dict[int, list[LivePageView]] = defaultdict(list)
    for group in newest:
        first = group[0]
        if len(views[first.project_id]) >= MAX_PAGE_VIEWS:
            continue
        views[first.project_id].append(
            LivePageView(
                route=first.page.route,
                device=DEVICE_NAMES[first.device],
                country=first.country,
                values=[
                    LiveMetricValue(
                        metric=r.metric.name, value=r.value, rating=RATING_NAMES[r.rating]
                    )
                    for r in sorted(group, key=lambda r: r.metric)
                ],
            )
        )
    return views


class PublishFailed(Exception):
    """Redis refused the event after the manager's own retry."""


class _RedisManager(socketio.RedisManager):  # type: ignore[misc]
    def _publish(self, data: object) -> object:
        # The pub/sub managers' subclass hook. The stock one logs and returns None when it
        # gives up; raising instead lets the publisher count the loss.
        receivers = super()._publish(data)
        if receivers is None:
            raise PublishFailed("redis publish failed")
        return receivers


class LivePublisher:
    """One write-only socket.io manager per process; it connects on first use."""

    def __init__(self, settings: Settings) -> None:
        self.manager = _RedisManager(
            settings.redis_url,
            channel=SOCKETIO_CHANNEL,
            write_only=True,
            logger=log,
            # A slow Redis must delay a job by seconds at most, never hang it.
            redis_options={
                "socket_timeout": settings.redis_timeout_s,
                "socket_connect_timeout": settings.redis_timeout_s,
            },
        )

    def publish(self, batches: list[LiveBatch]) -> None:
        for batch in batches:
            try:
                self.manager.emit(
                    VITALS_EVENT,
                    msgspec.to_builtins(batch),
                    room=project_room(batch.project_id),
                    namespace="/",
                )
            except Exception as exc:  # best effort by design: the rows are committed
                counters.LIVE_PUBLISH_FAILURES.inc()
                log.warning("live_publish_failed", project_id=batch.project_id, error=str(exc))
