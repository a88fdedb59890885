"""Batches still waiting in the queue join the job that starts: one transaction for all.

A worker's cost is mostly per transaction, not per report: each of the ten rollups
rewrites one row per group it touches, however many samples the group got (bench-ingest's
workers phase: 186 µs of CPU a report, PostgreSQL's included, in jobs of 128 beacons;
85 µs in jobs of 500). Ingest cannot make its jobs much bigger without holding every
beacon's 202 longer. But the jobs it writes while the workers are busy wait in the
queue, and the job that starts next takes them along (`claim`): the busier the workers,
the bigger their transactions. A worker that keeps up finds little waiting, so a job
first lingers a moment for company (gathering.py) unless enough already waits.

Nothing accepted is lost on the way and nothing is counted twice:
- the claim moves job ids from the queue onto a list the starting job owns, in one Lua
  script, so each id is always in exactly one of the two;
- an absorbed job's hash stays until the transaction that stored its beacons committed;
  then it goes, with the list (`finish`). A worker killed before that leaves the list
  behind: the owner job is re-run (recovery.py) and claims its list again, and storing
  what already committed changes nothing (the upsert is idempotent);
- if the owner job fails, its absorbed jobs go back to the front of the queue (`give_back`)
  marked to run alone, so a batch that cannot be stored neither drags others down nor
  hides its own failure: it fails, retries and reaches the failed registry by itself;
- only first attempts are claimed (a job that failed once runs alone), and a list whose
  owner job is gone is given back by the workers' maintenance (`release_orphans`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import msgspec
import redis
import structlog
from prometheus_client import Counter, Histogram
from rq import get_current_job
from rq.job import Job
from rq.queue import Queue
from rq.serializers import JSONSerializer
from rq.utils import as_text

from services.contracts.queue import (
    BEACONS_FIELD,
    BEACONS_RECEIVED_DESCRIPTION,
    MAX_BATCH_BEACONS,
    RETRY_INTERVALS_S,
    BeaconBatch,
    decode_batch,
)
from services.workers import gathering, runtime

# The owner job's list of absorbed job ids, and the set of owners holding one.
ABSORBED_KEY = "vitals:absorbed:{owner}"
OWNERS_KEY = "vitals:absorbed:owners"
# A hash field of ours on the RQ job: never absorb it again (it was given back).
ALONE_FIELD = "vitals_alone"
# Bounds one transaction by the beacons claimed besides the owner's: jobs of 500 beacons
# already cost the workers less than half as much a report as jobs of 128, and bigger
# transactions gain little more while they hold rollup rows locked (and memory) longer.
# Ingest writes each job's count (BEACONS_FIELD); a job without one counts as a full one.
MAX_CLAIMED_BEACONS = 1_000
MAX_CLAIMED_JOBS = 64

ABSORBED_JOBS = Counter(
    "vitals_worker_jobs_absorbed",
    "Queued jobs stored in the transaction of the job that started before them.",
)
LINGER_SECONDS = Histogram(
    "vitals_worker_linger_seconds",
    "Time a starting job waited for more beacons to be queued before claiming them.",
    buckets=(0.001, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
)
log = structlog.get_logger()

# KEYS: queue list, owner's list, owners set. ARGV: job key prefix, max jobs, max beacons,
# description, first attempt's retries_left, owner id, the alone field, the beacons field,
# a full job's beacons.
# A re-run owner gets its list back as it was. Otherwise it takes jobs from the head of
# the queue while they are first attempts of beacon batches, stopping at the first that
# is not, so the queue's order is kept.
_CLAIM = """
local held = redis.call('LRANGE', KEYS[2], 0, -1)
if #held > 0 then return held end
local claimed, beacons = {}, 0
while #claimed < tonumber(ARGV[2]) do
  local id = redis.call('LINDEX', KEYS[1], 0)
  if not id then break end
  local key = ARGV[1] .. id
  local job = redis.call('HMGET', key, 'description', 'retries_left', ARGV[7], ARGV[8])
  if job[1] ~= ARGV[4] or job[2] ~= ARGV[5] or job[3] then break end
  local size = tonumber(job[4]) or tonumber(ARGV[9])
  if beacons + size > tonumber(ARGV[3]) then break end
  redis.call('LPOP', KEYS[1])
  redis.call('RPUSH', KEYS[2], id)
  claimed[#claimed + 1] = id
  beacons = beacons + size
end
if #claimed > 0 then redis.call('SADD', KEYS[3], ARGV[6]) end
return claimed
"""


class Absorbed(msgspec.Struct):
    owner: str
    queue: Queue
    jobs: list[Job]


@contextmanager
def joining_waiting_jobs(batch: BeaconBatch) -> Iterator[BeaconBatch]:
    """The running job's batch with the waiting ones it claimed; they are finished when
    the block ends normally, given back when it raises."""
    absorbed, batches = _claim_for_current_job(len(batch.beacons))
    if absorbed is None or not absorbed.jobs:
        yield batch
        return
    beacons = [*batch.beacons, *(b for claimed in batches for b in claimed.beacons)]
    try:
        yield BeaconBatch(beacons=beacons)
    except BaseException:
        give_back(absorbed)
        raise
    finish(absorbed)


def _claim_for_current_job(own_beacons: int) -> tuple[Absorbed | None, list[BeaconBatch]]:
    job = get_current_job()
    if job is None or job.origin is None:  # called outside a worker (tests, tools)
        return None, []
    queue = Queue(job.origin, connection=job.connection, serializer=JSONSerializer)
    settings = runtime.current().settings
    try:
        waited_s = gathering.linger(
            queue,
            ABSORBED_KEY.format(owner=job.id),
            max_jobs=MAX_CLAIMED_JOBS,
            own_beacons=own_beacons,
            linger_s=settings.worker_linger_s,
            gather_beacons=settings.worker_gather_beacons,
        )
        LINGER_SECONDS.observe(waited_s)
        absorbed = claim(queue, job.id)
    except redis.RedisError as exc:  # merging is an optimisation: run the job alone
        log.warning("absorb_claim_failed", error=str(exc))
        return None, []
    readable, batches, unreadable = [], [], []
    for claimed in absorbed.jobs:
        try:
            batches.append(decode_batch(claimed.args[0]))
            readable.append(claimed)
        except Exception:  # whatever it is, the job reports it when it runs alone
            unreadable.append(claimed)
    if unreadable:  # each fails by itself, where its own retries and errors belong
        give_back(Absorbed(job.id, queue, unreadable), keep=readable)
    absorbed.jobs = readable
    return absorbed, batches


def claim(queue: Queue, owner: str) -> Absorbed:
    connection = queue.connection
    ids = connection.eval(
        _CLAIM,
        3,
        queue.key,
        ABSORBED_KEY.format(owner=owner),
        OWNERS_KEY,
        Job.redis_job_namespace_prefix,
        MAX_CLAIMED_JOBS,
        MAX_CLAIMED_BEACONS,
        BEACONS_RECEIVED_DESCRIPTION,
        len(RETRY_INTERVALS_S),
        owner,
        ALONE_FIELD,
        BEACONS_FIELD,
        MAX_BATCH_BEACONS,
    )
    job_ids = [as_text(i) for i in ids]
    jobs = Job.fetch_many(job_ids, connection=connection, serializer=JSONSerializer)
    found = [j for j in jobs if j is not None]
    if len(found) < len(job_ids):  # a hash deleted meanwhile: nothing left to store
        log.warning("absorbed_job_missing", missing=len(job_ids) - len(found))
    return Absorbed(owner, queue, found)


def finish(absorbed: Absorbed) -> None:
    """The absorbed jobs' beacons are committed: the jobs and the list go."""
    with absorbed.queue.connection.pipeline() as pipe:
        for job in absorbed.jobs:
            pipe.delete(job.key)
        pipe.delete(ABSORBED_KEY.format(owner=absorbed.owner))
        pipe.srem(OWNERS_KEY, absorbed.owner)
        pipe.execute()
    ABSORBED_JOBS.inc(len(absorbed.jobs))


def give_back(absorbed: Absorbed, keep: list[Job] | None = None) -> None:
    """Back to the front of the queue in their order, each to run alone; the owner's list
    keeps `keep` (by default nothing: the list goes)."""
    owner_list = ABSORBED_KEY.format(owner=absorbed.owner)
    with absorbed.queue.connection.pipeline() as pipe:
        for job in reversed(absorbed.jobs):
            pipe.hset(job.key, ALONE_FIELD, 1)
            pipe.lpush(absorbed.queue.key, job.id)
        pipe.delete(owner_list)
        if keep:
            pipe.rpush(owner_list, *(j.id for j in keep))
        else:
            pipe.srem(OWNERS_KEY, absorbed.owner)
        pipe.execute()
    log.info("absorbed_jobs_given_back", owner=absorbed.owner, jobs=len(absorbed.jobs))


def release_orphans(queue: Queue) -> int:
    """Give back the lists of owners whose job no longer exists (deleted by an operator);
    an owner that still exists runs again, or sits in the failed registry with them."""
    connection = queue.connection
    released = 0
    for member in connection.smembers(OWNERS_KEY):
        owner = as_text(member)
        if connection.exists(Job.key_for(owner)):
            continue
        ids = [as_text(i) for i in connection.lrange(ABSORBED_KEY.format(owner=owner), 0, -1)]
        jobs = [
            j
            for j in Job.fetch_many(ids, connection=connection, serializer=JSONSerializer)
            if j is not None
        ]
        give_back(Absorbed(owner, queue, jobs))
        released += len(jobs)
    return released
