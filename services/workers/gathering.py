"""A batch job that starts while little waits behind it lingers a moment for company.

Claiming the jobs that wait (absorption.py) makes transactions big only while the worker
is behind. A worker that keeps up finds one or two small jobs waiting each time it
starts, and stores ~30 beacons a transaction; each of the ten rollups then rewrites
most of the rows it touches for a handful of samples. bench-ingest's together phase
(10,000 reports/s) spent 0.59 of its 1.52 cores in PostgreSQL that way. So before it
claims, a job waits up to `worker_linger_s` for `worker_gather_beacons` (its own
included) to be waiting, and stops as soon as they are or as soon as the claim would be
full by its count of jobs: a worker that is behind never lingers, and the lag it adds is
bounded by the linger.

Waiting changes nothing in Redis (it only reads the queue), so a worker killed while it
lingers leaves its job as any death does: re-run, nothing claimed. A job re-run with the
jobs it had claimed (its list exists) does not wait: its transaction is already decided.
"""

from __future__ import annotations

import time

from rq.job import Job
from rq.queue import Queue

from services.contracts.queue import BEACONS_FIELD, MAX_BATCH_BEACONS

# Polls the queue this many times over a whole linger: early enough to stop soon after
# the beacons are there, few enough to cost Redis nothing (~40 reads/s at 10 jobs/s).
STEPS = 4

# KEYS: queue list, the owner's claimed list. ARGV: job key prefix, max jobs, beacons
# wanted, the beacons field, a full job's beacons. 1 when there is no reason to wait: the
# owner already holds a list (a re-run), or the claim would already be full (max jobs
# waiting) or carry the beacons wanted; else 0.
_ENOUGH_WAITING = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
local ids = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
if #ids >= tonumber(ARGV[2]) then return 1 end
local beacons = 0
for _, id in ipairs(ids) do
  local size = redis.call('HGET', ARGV[1] .. id, ARGV[4])
  beacons = beacons + (tonumber(size) or tonumber(ARGV[5]))
  if beacons >= tonumber(ARGV[3]) then return 1 end
end
return 0
"""


def linger(
    queue: Queue,
    owner_key: str,
    *,
    max_jobs: int,
    own_beacons: int,
    linger_s: float,
    gather_beacons: int,
) -> float:
    """Wait until `gather_beacons` (the owner's included) wait in `queue` to be claimed, at
    most `linger_s`; `owner_key` is the owner's claimed list. The seconds waited. A Redis
    error ends the wait: the claim reports it."""
    started = time.monotonic()
    deadline = started + linger_s
    while linger_s > 0 and own_beacons < gather_beacons:
        enough = queue.connection.eval(
            _ENOUGH_WAITING,
            2,
            queue.key,
            owner_key,
            Job.redis_job_namespace_prefix,
            max_jobs,
            gather_beacons - own_beacons,
            BEACONS_FIELD,
            MAX_BATCH_BEACONS,
        )
        remaining = deadline - time.monotonic()
        if enough or remaining <= 0:
            break
        time.sleep(min(remaining, linger_s / STEPS))
    return time.monotonic() - started
