"""Per-project rate limit: a fixed one-minute window counted in Redis, shared by every
ingest instance.

Counting costs one INCRBY per project per batch, not per beacon: concurrent beacons are
coalesced, and the i-th beacon of a project in a batch is admitted when the window's
count up to it is within the limit. The count is exact across instances.

A batch waits LINGER_S for company: without it, 2,000 beacons/s made ~450 round trips a
second of ~4 beacons each (bench-ingest's together phase, Redis commandstats), a few
percent of a core of ingest's Python; the group commit that follows waits longer anyway.
"""

from __future__ import annotations

import math
import time
from collections import Counter

import redis.asyncio

from services.ingest.coalescer import Coalescer

WINDOW_S = 60
KEY_PREFIX = "vitals:rate:"
MAX_BATCH = 1000
LINGER_S = 0.005


class RateLimiter:
    def __init__(
        self, client: redis.asyncio.Redis, *, timeout_s: float, linger_s: float = LINGER_S
    ) -> None:
        self._redis = client
        self._coalescer: Coalescer[tuple[int, int], int | None] = Coalescer(
            self._count, max_items=MAX_BATCH, timeout_s=timeout_s, linger_s=lambda: linger_s
        )

    async def retry_after(self, project_id: int, limit_per_minute: int) -> int | None:
        """None when this beacon is within its project's limit, else whole seconds to wait."""
        return await self._coalescer.submit((project_id, limit_per_minute))

    async def aclose(self) -> None:
        await self._coalescer.aclose()

    async def _count(self, items: list[tuple[int, int]]) -> list[int | None]:
        now = time.time()
        window = int(now // WINDOW_S)
        per_project = Counter(project for project, _ in items)
        async with self._redis.pipeline(transaction=False) as pipe:
            for project, n in per_project.items():
                key = f"{KEY_PREFIX}{project}:{window}"
                pipe.incrby(key, n)
                pipe.expire(key, 2 * WINDOW_S)  # outlives its window a little, then vanishes
            replies = await pipe.execute()
        first_rank = {
            project: replies[2 * i] - n + 1 for i, (project, n) in enumerate(per_project.items())
        }
        # Retry-After must be an integer; round up so a retry lands in the next window.
        wait = max(1, math.ceil((window + 1) * WINDOW_S - now))
        seen: Counter[int] = Counter()
        results: list[int | None] = []
        for project, limit in items:
            rank = first_rank[project] + seen[project]
            seen[project] += 1
            results.append(None if rank <= limit else wait)
        return results
