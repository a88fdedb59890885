"""How deep the beacons queue is, read from Redis at most every REFRESH_S.

When workers fall behind, ingest refuses with 503 rather than let Redis fill up (the
queue Redis never evicts, so a full one would refuse everything, acked work included).
An LLEN per request would double the Redis load; a tenth of a second of staleness costs
nothing against a bound of many thousand jobs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import redis.asyncio
from rq import Queue

from services.contracts.queue import QUEUE_NAME

REFRESH_S = 0.1
# The Redis list RQ keeps the queue's waiting job ids in.
QUEUE_KEY = Queue.redis_queue_namespace_prefix + QUEUE_NAME


class QueueDepth:
    def __init__(
        self,
        client: redis.asyncio.Redis,
        *,
        timeout_s: float,
        observe: Callable[[int], None] = lambda depth: None,
    ) -> None:
        self._redis = client
        self._timeout_s = timeout_s
        self._observe = observe
        self._depth = 0
        self._read_at = -float("inf")
        self._reading: asyncio.Task[int] | None = None

    @property
    def last_read(self) -> int:
        """The depth as last read, without waiting (0 before the first read)."""
        return self._depth

    async def current(self) -> int:
        """Jobs waiting in the queue; raises a Redis error or TimeoutError if unreadable."""
        if time.monotonic() - self._read_at < REFRESH_S:
            return self._depth
        if self._reading is None:
            self._reading = asyncio.get_running_loop().create_task(self._read())
            self._reading.add_done_callback(_retrieve)
        return await asyncio.shield(self._reading)

    async def _read(self) -> int:
        try:
            async with asyncio.timeout(self._timeout_s):
                depth = int(await self._redis.llen(QUEUE_KEY))
        finally:
            self._reading = None
        self._depth, self._read_at = depth, time.monotonic()
        self._observe(depth)
        return depth


def _retrieve(task: asyncio.Task[int]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved here too, in case every waiter gave up first
