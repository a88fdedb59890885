"""Parked beacons: each guilty beacon of a batch as a job of its own in RQ's failed registry.

Where an operator already looks (`vitals jobs failed`, `vitals jobs retry-failed`), with
the project and the reason in the job's meta and as its error. A parked job runs
`beacon_parked` (jobs.py) when retried: it stores the beacon if a deploy has made it
storable, and otherwise fails at once and lands back in the registry (no retries, so
retry-failed never loops on it). Its id is derived from its content, so a batch re-run
after it parked a beacon parks it again under the same id instead of twice.
"""

from __future__ import annotations

import hashlib

import redis
from rq.job import Job
from rq.job_lifecycle import record_job_failure
from rq.serializers import JSONSerializer

from services.contracts.queue import BEACON_PARKED, QUEUE_NAME, BeaconBatch, encode_batch
from services.workers.batches import Parked

PARKED_TTL_S = 30 * 24 * 3600  # as long as a failed batch stays: a month to look and re-run
JOB_TIMEOUT_S = 60  # one beacon


class GuiltyBeacon(Exception):
    """A parked beacon that still cannot be stored; the message is its reason."""


def error_of(parked: Parked) -> str:
    return f"{parked.reason}: {parked.detail}"


def park(connection: redis.Redis, parked: list[Parked]) -> list[str]:
    """Put each beacon in the failed registry as its own job; their ids."""
    ids = []
    with connection.pipeline() as pipe:
        for p in parked:
            payload = encode_batch(BeaconBatch(beacons=[p.accepted])).decode()
            job = Job.create(
                BEACON_PARKED,
                args=(payload,),
                connection=connection,
                serializer=JSONSerializer,
                id="parked-" + hashlib.sha256(payload.encode()).hexdigest()[:32],
                origin=QUEUE_NAME,
                timeout=JOB_TIMEOUT_S,
                result_ttl=0,
                failure_ttl=PARKED_TTL_S,
                description="beacon_parked",
                meta={"project_id": p.accepted.project_id, "reason": p.reason},
            )
            job.save(pipeline=pipe)  # the registry's own save leaves the meta out
            record_job_failure(job, f"{GuiltyBeacon.__name__}: {error_of(p)}", pipe)
            ids.append(job.id)
        pipe.execute()
    return ids
