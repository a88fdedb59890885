"""The result cache: encoded responses in Redis, keyed per project and normalised query.

The cache only ever makes answers faster: every Redis call is bounded by a short
timeout, and after a failure the cache is skipped for a while instead of paying that
timeout on every request. A query whose window touches "now" lives briefly (new data
keeps arriving); a closed window lives long.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import datetime, timedelta

import msgspec
import redis.asyncio
import structlog

from services.query.instruments import CACHE

KEY_PREFIX = "vitals:query:v1"
OPEN_TTL_S = 10
CLOSED_TTL_S = 3600
# Late reports keep landing on recent page-view times: CLS and INP are re-sent when the
# page is hidden, which can be long after it loaded. A window that ended within this
# margin still counts as open.
SETTLING = timedelta(hours=1)
TIMEOUT_S = 0.25  # a local Redis answers in well under a millisecond
RETRY_AFTER_FAILURE_S = 5.0

log = structlog.get_logger()


def cache_key(project_id: int, endpoint: str, query: msgspec.Struct) -> str:
    """The project in clear (for inspection and invalidation) and the query's digest."""
    digest = hashlib.sha256(msgspec.json.encode(query, order="sorted")).hexdigest()
    return f"{KEY_PREFIX}:{project_id}:{endpoint}:{digest}"


def ttl_for(end: datetime, now: datetime) -> int:
    return OPEN_TTL_S if end > now - SETTLING else CLOSED_TTL_S


class ResultCache:
    def __init__(self, client: redis.asyncio.Redis) -> None:
        self.client = client
        self._skip_until = 0.0

    async def get(self, key: str) -> bytes | None:
        if self._skipping():
            CACHE.labels("error").inc()
            return None
        try:
            async with asyncio.timeout(TIMEOUT_S):
                value = await self.client.get(key)
        except Exception as exc:
            self._failed("get", exc)
            return None
        CACHE.labels("miss" if value is None else "hit").inc()
        return value.encode() if isinstance(value, str) else value

    async def set(self, key: str, value: bytes, ttl_s: int) -> None:
        if self._skipping():
            return
        try:
            async with asyncio.timeout(TIMEOUT_S):
                await self.client.set(key, value, ex=ttl_s)
        except Exception as exc:
            self._failed("set", exc)

    def _skipping(self) -> bool:
        return time.monotonic() < self._skip_until

    def _failed(self, operation: str, exc: Exception) -> None:
        CACHE.labels("error").inc()
        self._skip_until = time.monotonic() + RETRY_AFTER_FAILURE_S
        log.warning("cache_unavailable", operation=operation, error=repr(exc))
