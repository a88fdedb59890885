"""RQ job functions, named for what happened. Ingest reaches them by dotted path.

A batch job also stores, in its one transaction, the batches still queued behind it
(absorption.py): the workers' cost is mostly per transaction.

Jobs raise on any failure that is not one beacon's own data (a payload that does not
decode, a lost database, a timeout): RQ records the exception, retries with the job's
`Retry` and finally parks it in the failed registry, from which `vitals jobs
retry-failed` re-runs it. A beacon whose own data cannot be stored is isolated by the
batch (batches.py) and parked alone (parking.py); the job then succeeds for the rest.
"""

from __future__ import annotations

import time

import structlog

from services.contracts.queue import BeaconBatch, decode_batch
from services.contracts.redis_client import sync_redis
from services.workers import counters, purge, runtime, versions
from services.workers.absorption import joining_waiting_jobs
from services.workers.batches import Outcome, process_batch
from services.workers.live import live_batches
from services.workers.parking import GuiltyBeacon, error_of, park
from services.workers.retention import Retention, apply_retention

log = structlog.get_logger()


def beacons_received(payload: str) -> dict[str, object]:
    started = time.perf_counter()
    with joining_waiting_jobs(decode_batch(payload)) as batch:
        outcome = _store(batch)
        if outcome.parked:
            # Before the job succeeds: if parking fails the job is retried, and re-storing
            # what committed changes nothing.
            jobs = park(sync_redis(runtime.current().settings), outcome.parked)
            for parked, job_id in zip(outcome.parked, jobs, strict=True):
                log.warning(
                    "beacon_parked",
                    parked_job_id=job_id,
                    project_id=parked.accepted.project_id,
                    reason=parked.reason,
                    detail=parked.detail,
                )
    counters.record(outcome)
    counters.BATCH_SECONDS.observe(time.perf_counter() - started)
    summary = outcome.summary()
    log.info("batch_stored", beacons=len(batch.beacons), **summary)
    return summary


def beacon_parked(payload: str) -> dict[str, object]:
    """A parked beacon retried by an operator: stored now, or back in the failed registry
    at once (the job has no retries) with the reason as its error."""
    outcome = _store(decode_batch(payload))
    if outcome.parked:
        raise GuiltyBeacon("; ".join(error_of(p) for p in outcome.parked))
    counters.record(outcome)
    return outcome.summary()


def _store(batch: BeaconBatch) -> Outcome:
    rt = runtime.current()

    async def process() -> Outcome:
        return await process_batch(await rt.pool(), rt.projects, batch)

    outcome = rt.run(process())
    versions.bump(rt.settings, outcome.changes)  # after the commit: see versions.py
    rt.publisher.publish(live_batches(outcome))
    return outcome


def retention_due() -> dict[str, int]:
    """Drop chunks past their retention age (enqueued hourly by the workers' maintenance)."""
    rt = runtime.current()

    async def apply() -> dict[str, int]:
        async with (await rt.pool()).acquire() as connection:
            return await apply_retention(connection, Retention.from_settings(rt.settings))

    dropped = rt.run(apply())
    log.info("retention_applied", **dropped)
    purge.sweep_deleted_projects()  # a purge that was never enqueued is not lost
    return dropped
