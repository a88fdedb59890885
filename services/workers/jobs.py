"""RQ job functions, named for what happened. Ingest reaches them by dotted path.

Jobs raise on any failure (a payload that does not decode, a database error): RQ records
the exception, retries with the job's `Retry` and finally parks it in the failed
registry, from which `vitals jobs retry-failed` re-runs it.
"""

from __future__ import annotations

import time

import structlog

from services.contracts.queue import decode_batch
from services.workers import counters, runtime
from services.workers.batches import Outcome, process_batch
from services.workers.live import live_batches
from services.workers.retention import Retention, apply_retention

log = structlog.get_logger()


def beacons_received(payload: str) -> dict[str, object]:
    started = time.perf_counter()
    batch = decode_batch(payload)
    rt = runtime.current()

    async def process() -> Outcome:
        return await process_batch(await rt.pool(), await rt.edition(), rt.projects, batch)

    outcome = rt.run(process())
    counters.record(outcome)
    counters.BATCH_SECONDS.observe(time.perf_counter() - started)
    rt.publisher.publish(live_batches(outcome))
    summary = outcome.summary()
    log.info("batch_stored", beacons=len(batch.beacons), **summary)
    return summary


def retention_due() -> dict[str, int]:
    """Drop chunks past their retention age (enqueued hourly by the workers' maintenance)."""
    rt = runtime.current()

    async def apply() -> dict[str, int]:
        async with (await rt.pool()).acquire() as connection:
            return await apply_retention(connection, Retention.from_settings(rt.settings))

    dropped = rt.run(apply())
    log.info("retention_applied", **dropped)
    return dropped
