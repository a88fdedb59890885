"""The per-project rate limit counts exactly, even when concurrent beacons are coalesced."""

from __future__ import annotations

import asyncio
import time

import redis.asyncio
from redis.asyncio.client import Pipeline

from services.contracts.settings import Settings
from services.ingest.ratelimit import WINDOW_S, RateLimiter


async def _clear_of_window_edge() -> None:
    into_window = time.time() % WINDOW_S
    if into_window > WINDOW_S - 2:
        await asyncio.sleep(WINDOW_S - into_window + 0.05)


class TestRateLimiter:
    async def test_a_concurrent_burst_admits_exactly_the_limit(
        self, settings: Settings, redis_client: redis.asyncio.Redis
    ) -> None:
        """Of 100 simultaneous beacons against a limit of 30, exactly 30 are admitted."""
        await _clear_of_window_edge()
        limiter = RateLimiter(redis_client, timeout_s=1)
        waits = await asyncio.gather(*(limiter.retry_after(1, 30) for _ in range(100)))
        await limiter.aclose()
        assert waits.count(None) == 30
        assert all(isinstance(w, int) and 1 <= w <= WINDOW_S for w in waits if w is not None)

    async def test_beacons_a_moment_apart_share_one_round_trip(
        self, settings: Settings, redis_client: redis.asyncio.Redis
    ) -> None:
        """Within the linger, beacons arriving one by one are counted in one pipeline."""
        await _clear_of_window_edge()
        counting = _CountingPipelines.from_url(settings.redis_url)
        limiter = RateLimiter(counting, timeout_s=5, linger_s=1.0)
        waits = []
        for _ in range(5):
            waits.append(asyncio.ensure_future(limiter.retry_after(1, 100)))
            await asyncio.sleep(0.02)
        assert await asyncio.gather(*waits) == [None] * 5
        await limiter.aclose()
        await counting.aclose()
        assert counting.pipelines == 1

    async def test_projects_are_counted_apart(
        self, settings: Settings, redis_client: redis.asyncio.Redis
    ) -> None:
        """Interleaved beacons of two projects are each held to their own limit."""
        await _clear_of_window_edge()
        limiter = RateLimiter(redis_client, timeout_s=1)
        calls = [limiter.retry_after(project, 10) for _ in range(25) for project in (1, 2)]
        waits = await asyncio.gather(*calls)
        await limiter.aclose()
        by_project = {
            p: [w for w, c in zip(waits, [1, 2] * 25, strict=True) if c == p] for p in (1, 2)
        }
        assert by_project[1].count(None) == by_project[2].count(None) == 10

    async def test_counts_are_shared_between_instances(
        self, settings: Settings, redis_client: redis.asyncio.Redis
    ) -> None:
        """Two ingest instances (two limiters on one Redis) share one project's quota."""
        await _clear_of_window_edge()
        first = RateLimiter(redis_client, timeout_s=1)
        second = RateLimiter(redis_client, timeout_s=1)
        waits = await asyncio.gather(
            *(first.retry_after(1, 10) for _ in range(8)),
            *(second.retry_after(1, 10) for _ in range(8)),
        )
        await first.aclose()
        await second.aclose()
        assert waits.count(None) == 10

    async def test_window_keys_expire(
        self, settings: Settings, redis_client: redis.asyncio.Redis
    ) -> None:
        """The counter of a window expires on its own, so Redis does not collect old windows."""
        limiter = RateLimiter(redis_client, timeout_s=1)
        await limiter.retry_after(1, 10)
        await limiter.aclose()
        [key] = await redis_client.keys("vitals:rate:1:*")
        assert 0 < await redis_client.ttl(key) <= 2 * WINDOW_S


class _CountingPipelines(redis.asyncio.Redis):
    """A real client that counts the pipelines it opens (one per round trip here)."""

    pipelines = 0

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        self.pipelines += 1
        return super().pipeline(transaction, shard_hint)
