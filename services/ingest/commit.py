"""Group commit: a request is answered 202 only once its beacon is inside an RQ job in Redis.

Requests hand their accepted beacon to a coalescer; each flush turns what gathered into
as few jobs as the size cap allows and writes them in one MULTI/EXEC round trip, then
every waiting request is answered. If that write fails or times out, every request of the
batch gets 503: nothing is ever acknowledged that is not in Redis. (A request that timed
out while its write was in flight may still have been written; workers upsert by
(project, time origin, metric id), so the client's retry is harmless.)

RQ's Queue is synchronous, but given a pipeline its enqueue only buffers commands there.
So RQ records a flush's writes on a pipeline that is never executed, and the event loop
sends them with the asyncio client. They used to be sent from a thread: under load the
thread waited for the GIL at each of its socket calls (5 ms turns against a busy loop),
one flush took tens of milliseconds, and with a single flush in flight, ingest stopped
keeping up while its core was still a quarter idle (issue 16: ingest p99 of seconds).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import redis
import redis.asyncio
from rq import Queue, Retry
from rq.serializers import JSONSerializer

from services.contracts.queue import (
    BEACONS_FIELD,
    BEACONS_RECEIVED,
    BEACONS_RECEIVED_DESCRIPTION,
    MAX_BATCH_BEACONS,
    QUEUE_NAME,
    RETRY_INTERVALS_S,
    AcceptedBeacon,
    BeaconBatch,
    encode_batch,
)
from services.contracts.settings import Settings
from services.ingest.backpressure import QueueDepth
from services.ingest.coalescer import Coalescer

MAX_JOB_BYTES = 1024 * 1024  # bounds a job's size whatever the beacons' sizes
JOB_TIMEOUT_S = 120  # a batch takes well under a second; a stuck job is killed and retried
FAILURE_TTL_S = 30 * 24 * 3600  # failed batches stay for a month, to be inspected and re-run
# The job's return value is a count nobody reads; keeping it would keep the whole payload.
RESULT_TTL_S = 0
JOB_DESCRIPTION = BEACONS_RECEIVED_DESCRIPTION
# RQ's Queue wants a synchronous connection, and only ever uses it here to make pipelines
# that record. One that cannot connect anywhere: a write RQ made outside the pipeline
# would fail loudly instead of reaching some Redis.
RECORDER = redis.Redis(unix_socket_path="/nonexistent/vitals-ingest-rq-recorder")


class GroupCommit:
    def __init__(
        self,
        client: redis.asyncio.Redis,
        *,
        timeout_s: float,
        observe: Callable[[int, float], None] = lambda beacons, seconds: None,
        linger_s: Callable[[], float] = lambda: 0.0,
    ) -> None:
        self._redis = client
        self._observe = observe
        self._queue = Queue(QUEUE_NAME, connection=RECORDER, serializer=JSONSerializer)
        self._coalescer: Coalescer[tuple[AcceptedBeacon, int], None] = Coalescer(
            self._flush, max_items=MAX_BATCH_BEACONS, timeout_s=timeout_s, linger_s=linger_s
        )

    async def commit(self, beacon: AcceptedBeacon, size: int) -> None:
        """Returns once the beacon is in a queued job; raises if its batch was not written."""
        await self._coalescer.submit((beacon, size))

    async def aclose(self) -> None:
        await self._coalescer.aclose()

    async def _flush(self, items: list[tuple[AcceptedBeacon, int]]) -> list[None]:
        started = time.perf_counter()
        if self._queue.redis_server_version is None:  # RQ would ask through the recorder
            self._queue.redis_server_version = await _server_version(self._redis)
        jobs = [
            (encode_batch(BeaconBatch(beacons=chunk)).decode(), len(chunk))
            for chunk in _chunks(items)
        ]
        async with self._redis.pipeline(transaction=True) as pipe:
            for args, options in self._record(jobs):
                pipe.execute_command(*args, **options)
            await pipe.execute()
        self._observe(len(items), time.perf_counter() - started)
        return [None] * len(items)

    def _record(self, jobs: list[tuple[str, int]]) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        """The commands that enqueue (payload, beacons) pairs, for one MULTI."""
        retry = Retry(max=len(RETRY_INTERVALS_S), interval=list(RETRY_INTERVALS_S))
        with RECORDER.pipeline(transaction=True) as pipe:
            for payload, beacons in jobs:
                job = self._queue.enqueue_call(
                    BEACONS_RECEIVED,
                    args=(payload,),
                    timeout=JOB_TIMEOUT_S,
                    result_ttl=RESULT_TTL_S,
                    failure_ttl=FAILURE_TTL_S,
                    retry=retry,
                    description=JOB_DESCRIPTION,
                    pipeline=pipe,
                )
                pipe.hset(job.key, BEACONS_FIELD, beacons)  # read by the workers' claim
            return list(pipe.command_stack)


def adaptive_linger(settings: Settings, depth: QueueDepth) -> Callable[[], float]:
    """Short while the workers keep up; longer while jobs pile up, so each job carries more.

    Measured (bench-ingest, everything together at 2,000 beacons/s): with 10 ms the jobs
    held ~35 beacons and the queue grew without end; with 40 ms they held ~125 and the
    workers kept up. The depth is the one admission already read (at most 0.1 s old).
    """

    def linger_s() -> float:
        if depth.last_read > settings.commit_backlog_jobs:
            return settings.commit_backlog_linger_s
        return settings.commit_linger_s

    return linger_s


async def _server_version(client: redis.asyncio.Redis) -> tuple[int, int, int]:
    """As RQ reads it: the first three numbers of INFO's redis_version."""
    info = await client.info("server")
    numbers = [int(part) for part in str(info["redis_version"]).split(".")[:3]]
    major, minor, patch = [*numbers, 0, 0, 0][:3]
    return major, minor, patch


def _chunks(items: list[tuple[AcceptedBeacon, int]]) -> list[list[AcceptedBeacon]]:
    """Split by body size (a close proxy of the encoded size) so no job exceeds MAX_JOB_BYTES."""
    chunks: list[list[AcceptedBeacon]] = [[]]
    size = 0
    for beacon, body_size in items:
        if chunks[-1] and size + body_size > MAX_JOB_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(beacon)
        size += body_size
    return chunks
