"""The queue depth is read from Redis at most every 0.1 s, however many beacons ask."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import msgspec
import pytest
import redis.asyncio

from services.contracts.settings import Settings
from services.ingest.backpressure import QUEUE_KEY, REFRESH_S, QueueDepth
from services.ingest.commit import adaptive_linger
from tests.support.processes import RedisServer


@pytest.fixture
async def private_client(private_redis: RedisServer) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(private_redis.url)
    try:
        yield client
    finally:
        await client.aclose()


async def llen_calls(client: redis.asyncio.Redis) -> int:
    stats = await client.info("commandstats")
    return int(stats.get("cmdstat_llen", {}).get("calls", 0))


class TestQueueDepth:
    async def test_reads_the_rq_queue(self, private_client: redis.asyncio.Redis) -> None:
        """The depth is the length of RQ's list of waiting job ids for the beacons queue."""
        await private_client.rpush(QUEUE_KEY, "a", "b")
        seen: list[int] = []
        depth = QueueDepth(private_client, timeout_s=1, observe=seen.append)
        assert await depth.current() == 2
        assert seen == [2]

    async def test_reads_at_most_once_per_interval(
        self, private_client: redis.asyncio.Redis
    ) -> None:
        """A thousand sequential and a hundred concurrent asks within the interval cost one LLEN; after it, one more."""
        depth = QueueDepth(private_client, timeout_s=1)
        before = await llen_calls(private_client)
        for _ in range(1000):
            await depth.current()
        await asyncio.gather(*(depth.current() for _ in range(100)))
        assert await llen_calls(private_client) - before == 1
        await asyncio.sleep(REFRESH_S + 0.02)
        await asyncio.gather(*(depth.current() for _ in range(100)))
        assert await llen_calls(private_client) - before == 2

    async def test_unreadable_depth_raises(
        self, private_redis: RedisServer, private_client: redis.asyncio.Redis
    ) -> None:
        """With Redis down the depth cannot be known, and asking raises instead of guessing."""
        depth = QueueDepth(private_client, timeout_s=0.5)
        private_redis.stop()
        with pytest.raises((redis.RedisError, OSError, TimeoutError)):
            await depth.current()


class TestAdaptiveLinger:
    async def test_lingers_longer_while_jobs_pile_up(
        self, private_client: redis.asyncio.Redis, settings: Settings
    ) -> None:
        """The short linger while the queue holds at most commit_backlog_jobs; the long one past it, back to short once drained."""
        tuned = msgspec.structs.replace(
            settings, commit_linger_s=0.01, commit_backlog_linger_s=0.04, commit_backlog_jobs=3
        )
        depth = QueueDepth(private_client, timeout_s=1)
        linger_s = adaptive_linger(tuned, depth)
        assert linger_s() == 0.01  # nothing read yet: no backlog assumed
        await private_client.rpush(QUEUE_KEY, "a", "b", "c")
        await depth.current()
        assert linger_s() == 0.01
        await private_client.rpush(QUEUE_KEY, "d")
        await asyncio.sleep(REFRESH_S + 0.02)
        await depth.current()
        assert linger_s() == 0.04
        await private_client.delete(QUEUE_KEY)
        await asyncio.sleep(REFRESH_S + 0.02)
        await depth.current()
        assert linger_s() == 0.01
