"""Putting interrupted jobs back at the front of the queue, run by the workers' maintenance.

RQ 3.0 handles a job whose worker died (its lease expired in the StartedJobRegistry) as
a failure: it consumes one of the job's retries and schedules it after the retry
interval, which only the scheduler's lock holder enqueues (a killed holder keeps the lock
for a minute). A job that a worker moved to the intermediate queue and never started
(it died in between) waits a minute more and then also costs a retry. Neither is the
job's fault, so here both go straight back to the front of the queue, retries intact,
within about LEASE_S + MAINTENANCE_INTERVAL_S of the death. This runs before RQ's own
cleanup, which then finds nothing left to handle.

One worker at a time recovers (a short lock); each job is re-queued and removed from
where it was stuck in one MULTI, so it is never both or neither.
"""

from __future__ import annotations

import time
from datetime import timedelta

import structlog
from redis import Redis
from rq.job import JobStatus
from rq.queue import Queue
from rq.utils import as_text, current_timestamp, now

from services.workers.absorption import release_orphans

LOCK_KEY = "vitals:workers:recovery"
LOCK_TTL_S = 5
# A job dequeued but not started after this long belongs to a dead worker: a living one
# registers it as started milliseconds after moving it.
STUCK_AFTER = timedelta(seconds=5)

log = structlog.get_logger()


def recover_interrupted(connection: Redis, queues: list[Queue]) -> None:
    if not connection.set(LOCK_KEY, 1, nx=True, ex=LOCK_TTL_S):
        return
    try:
        for queue in queues:
            requeue_abandoned(queue)
            requeue_stuck_in_intermediate(queue)
            release_orphans(queue)
    finally:
        connection.delete(LOCK_KEY)


def requeue_abandoned(queue: Queue) -> int:
    registry = queue.started_job_registry
    entries: list[bytes] = queue.connection.zrangebyscore(registry.key, 0, current_timestamp())  # type: ignore[assignment]
    requeued = 0
    for entry in entries:
        job = queue.fetch_job(registry.parse_job_id(as_text(entry)))
        if job is None or job.get_status(refresh=False) != JobStatus.STARTED:
            continue  # finished or gone: RQ's cleanup drops the leftover entry
        with queue.connection.pipeline() as pipe:
            pipe.zrem(registry.key, entry)
            queue._enqueue_job(job, pipeline=pipe, at_front=True)
            pipe.execute()
        requeued += 1
        log.warning("abandoned_job_requeued", job_id=job.id, worker=job.worker_name)
    return requeued


def requeue_stuck_in_intermediate(queue: Queue) -> int:
    intermediate = queue.intermediate_queue
    started = set(queue.started_job_registry.get_job_ids(cleanup=False))
    requeued = 0
    for job_id in intermediate.get_job_ids():
        if job_id in started or intermediate.set_first_seen(job_id):
            continue  # running, or first seen now: a living worker may be about to start it
        first_seen = intermediate.get_first_seen(job_id)
        if first_seen is None or now() - first_seen < STUCK_AFTER:
            continue
        job = queue.fetch_job(job_id)
        with queue.connection.pipeline() as pipe:
            pipe.lrem(intermediate.key, 1, job_id)
            pipe.delete(intermediate.get_first_seen_key(job_id))
            if job is not None:
                queue._enqueue_job(job, pipeline=pipe, at_front=True)
            pipe.execute()
        requeued += job is not None
        log.warning(
            "stuck_job_requeued", job_id=job_id, stuck_s=round(time.time() - first_seen.timestamp())
        )
    return requeued
