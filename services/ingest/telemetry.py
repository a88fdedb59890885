"""Prometheus metrics of the ingest process, served at /metrics to the ops token's holder.

Every beacon request ends in exactly one outcome: `accepted`, or `dropped` with a reason
that is the error code it was answered with (or `bot`, answered 202). Reports are counted
where the body was decoded; beacons always. Each app owns its registry, so several apps in
one process (tests) never collide.
"""

from __future__ import annotations

import contextlib
from typing import Any

import redis
from litestar import Request, Response, get
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from services.contracts.ops import require_ops_token

ACCEPTED = "accepted"
DROPPED = "dropped"


class IngestTelemetry:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._beacons = Counter(
            "vitals_ingest_beacons",
            "Beacon requests by outcome; `reason` names why one was dropped.",
            ["outcome", "reason"],
            registry=self.registry,
        )
        self._reports = Counter(
            "vitals_ingest_reports",
            "Metric reports in decoded beacons, by outcome and drop reason.",
            ["outcome", "reason"],
            registry=self.registry,
        )
        self._responses = Counter(
            "vitals_ingest_responses",
            "Responses of the beacon endpoint by HTTP status.",
            ["status"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "vitals_ingest_queue_depth",
            "Jobs waiting in the beacons queue, as last read.",
            registry=self.registry,
        )
        self._batch_beacons = Histogram(
            "vitals_ingest_batch_beacons",
            "Beacons per group commit.",
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
            registry=self.registry,
        )
        self._batch_seconds = Histogram(
            "vitals_ingest_batch_seconds",
            "Time to write one group commit to Redis.",
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.0),
            registry=self.registry,
        )

        # Labelled children, looked up once: `labels()` costs more than `inc()` on the hot path.
        self._accepted = (self._beacons.labels(ACCEPTED, ""), self._reports.labels(ACCEPTED, ""))
        self._dropped: dict[str, tuple[Counter, Counter]] = {}
        self._by_status: dict[int, Counter] = {}

    def accepted(self, reports: int) -> None:
        beacons, report_count = self._accepted
        beacons.inc()
        report_count.inc(reports)

    def dropped(self, reason: str, reports: int) -> None:
        children = self._dropped.get(reason)
        if children is None:
            children = (
                self._beacons.labels(DROPPED, reason),
                self._reports.labels(DROPPED, reason),
            )
            self._dropped[reason] = children
        children[0].inc()
        if reports:
            children[1].inc(reports)

    def response(self, status: int) -> None:
        child = self._by_status.get(status)
        if child is None:
            child = self._by_status[status] = self._responses.labels(str(status))
        child.inc()

    def batch(self, beacons: int, seconds: float) -> None:
        self._batch_beacons.observe(beacons)
        self._batch_seconds.observe(seconds)

    def exposition(self) -> bytes:
        return bytes(generate_latest(self.registry))


@get("/metrics", include_in_schema=False, guards=[require_ops_token])
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    state = request.app.state
    # Refreshes the gauge (unless read in the last 0.1 s); with Redis down the scrape still
    # answers, with the last depth known.
    with contextlib.suppress(redis.RedisError, OSError, TimeoutError):
        await state.queue_depth.current()
    return Response(state.telemetry.exposition(), media_type=CONTENT_TYPE_LATEST)
