"""The worker's Prometheus metrics, served at /metrics by the health server (health.py).

Each worker process counts what it did; Prometheus sums across processes. Queue gauges
are read from Redis when scraped, so every worker reports the same shared numbers.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from services.workers.batches import Outcome

REPORTS = Counter(
    "vitals_worker_reports",
    "Reports by final outcome: stored, replaced, duplicate, dropped (with a reason),"
    " parked (with a reason: their beacon's data could not be stored), failed.",
    ["outcome", "reason"],
)
BATCHES = Counter("vitals_worker_batches", "Batches by outcome: processed, failed.", ["outcome"])
BATCH_SECONDS = Histogram(
    "vitals_worker_batch_seconds",
    "Time to store one batch, from decode to commit, its linger for company included"
    " (vitals_worker_linger_seconds).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
LIVE_PUBLISH_FAILURES = Counter(
    "vitals_worker_live_publish_failures", "Live events lost because Redis refused them."
)
QUEUE_DEPTH = Gauge("vitals_queue_depth", "Jobs waiting in the queue.", ["queue"])
QUEUE_FAILED = Gauge("vitals_queue_failed_jobs", "Jobs in the failed registry.", ["queue"])
QUEUE_SCHEDULED = Gauge(
    "vitals_queue_scheduled_jobs", "Jobs waiting for a retry (scheduled registry).", ["queue"]
)

# Pre-create the label sets so a scrape shows zeros instead of missing series.
for _outcome in ("stored", "replaced", "duplicate", "failed"):
    REPORTS.labels(_outcome, "")
REPORTS.labels("dropped", "unknown_project")
for _outcome in ("processed", "failed"):
    BATCHES.labels(_outcome)


def record(outcome: Outcome) -> None:
    REPORTS.labels("stored", "").inc(outcome.stored)
    REPORTS.labels("replaced", "").inc(outcome.replaced)
    REPORTS.labels("duplicate", "").inc(outcome.duplicate)
    for reason, count in outcome.dropped.items():
        REPORTS.labels("dropped", reason).inc(count)
    for reason, count in outcome.parked_reports().items():
        REPORTS.labels("parked", reason).inc(count)
    BATCHES.labels("processed").inc()


def record_failure(reports: int) -> None:
    """A job RQ will not retry again: its reports are lost until someone re-runs it."""
    REPORTS.labels("failed", "").inc(reports)
    BATCHES.labels("failed").inc()
