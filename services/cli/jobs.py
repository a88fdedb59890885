"""`vitals jobs failed` and `vitals jobs retry-failed`: the beacon queue's failed registry.

A batch lands there when RQ has used up its retries (or it was abandoned with none
left); a parked beacon (function `beacon_parked`, one beacon whose own data the workers
could not store) lands there at once, with its project and reason. Nothing in it is
lost: once the cause is fixed (a database back up, a bug deployed away), `retry-failed`
puts every one of them back on the queue, and re-running a batch that was partly stored
before changes nothing twice. A parked beacon that still cannot be stored fails once and
is back in the registry: retry-failed never loops.
"""

from __future__ import annotations

import argparse
from datetime import datetime

import msgspec
import redis
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

from services.contracts.queue import QUEUE_NAME, BeaconBatch, decode_batch
from services.contracts.redis_client import sync_redis
from services.contracts.settings import Settings


class FailedJob(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    function: str
    enqueued_at: datetime | None
    ended_at: datetime | None
    beacons: int | None  # None: the payload does not decode
    projects: list[int]  # of the beacons in it, when it decodes
    reason: str  # a parked beacon's: why its data could not be stored ("" for a batch)
    error: str  # the exception's last line


def failed_registry(connection: redis.Redis) -> FailedJobRegistry:
    return FailedJobRegistry(QUEUE_NAME, connection=connection, serializer=JSONSerializer)


def list_failed(connection: redis.Redis) -> list[FailedJob]:
    ids = failed_registry(connection).get_job_ids()
    jobs = Job.fetch_many(ids, connection=connection, serializer=JSONSerializer)
    return [_describe(job) for job in jobs if job is not None]


def retry_failed(connection: redis.Redis) -> list[str]:
    """Requeue every failed job; the ids that were requeued."""
    registry = failed_registry(connection)
    requeued = []
    for job_id in registry.get_job_ids():
        try:
            registry.requeue(job_id)
        except (InvalidJobOperation, NoSuchJobError):
            continue  # requeued by someone else meanwhile, or expired
        requeued.append(job_id)
    return requeued


def _describe(job: Job) -> FailedJob:
    result = job.latest_result()
    error = (result.exc_string or "") if result is not None else ""
    batch = _batch_in(job)
    return FailedJob(
        id=job.id,
        function=job.func_name or "",
        enqueued_at=job.enqueued_at,
        ended_at=job.ended_at,
        beacons=None if batch is None else len(batch.beacons),
        projects=[] if batch is None else sorted({b.project_id for b in batch.beacons}),
        reason=str(job.meta.get("reason", "")),
        error=error.strip().splitlines()[-1] if error.strip() else "",
    )


def _batch_in(job: Job) -> BeaconBatch | None:
    try:
        return decode_batch(job.args[0])
    except (msgspec.MsgspecError, IndexError, TypeError):
        return None


async def cmd_failed(settings: Settings, args: argparse.Namespace) -> None:
    failed = list_failed(sync_redis(settings))
    print(msgspec.json.format(msgspec.json.encode(failed)).decode())


async def cmd_retry_failed(settings: Settings, args: argparse.Namespace) -> None:
    requeued = retry_failed(sync_redis(settings))
    print(f"requeued {len(requeued)} failed job(s)" + "".join(f"\n  {i}" for i in requeued))
