"""records:queryRecord calls per project per minute, counted in the cache Redis.

CrUX meters its API per minute (150 queries per Google Cloud project) and CrUX clients
back off and retry on its 429; this gives them the same contract here, so a dashboard
polling many URLs cannot hog the read replica. Windows are clock minutes (INCR on a key
named for the minute, expiring after two), as ingest's per-project rate limit counts.
The count is a guard, not a bill: when Redis cannot count, the query goes ahead.
"""

from __future__ import annotations

import asyncio
import math
import time

import redis.asyncio
import structlog

from services.contracts.errors import ApiError
from services.query.cache import TIMEOUT_S

WINDOW_S = 60
KEY_PREFIX = "vitals:crux:quota:"

log = structlog.get_logger()


async def take_crux_query(client: redis.asyncio.Redis, project_id: int, per_minute: int) -> None:
    """Count one query, or raise 429 with Retry-After when the project is over its quota."""
    if per_minute <= 0:
        return
    now = time.time()
    window = int(now // WINDOW_S)
    key = f"{KEY_PREFIX}{project_id}:{window}"
    try:
        async with asyncio.timeout(TIMEOUT_S):
            async with client.pipeline(transaction=False) as pipe:
                pipe.incr(key)
                pipe.expire(key, 2 * WINDOW_S)
                count, _ = await pipe.execute()
    except Exception as exc:  # any failure to count (an outage, a timeout) lets it through
        log.warning("crux_quota_unavailable", project_id=project_id, error=str(exc))
        return
    if int(count) > per_minute:
        # Whole seconds, rounded up, so the retry lands in the next window.
        wait = max(1, math.ceil((window + 1) * WINDOW_S - now))
        raise ApiError(
            429,
            "quota_exceeded",
            f"quota exceeded: {per_minute} records:queryRecord calls per minute for project"
            f" {project_id}; retry in {wait} s",
            {"Retry-After": str(wait)},
        )
