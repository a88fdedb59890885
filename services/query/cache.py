"""The result cache: encoded responses in Redis, keyed per project and normalised query.

The cache only ever makes answers faster: every Redis call is bounded by a short
timeout, and after a failure the cache is skipped for a while instead of paying that
timeout on every request.

An answer is never served stale for a window that can still receive data. A window that
ended before now - (ingest's acceptance window + settling) is final and lives an hour.
Any other window's key includes the data versions of the hours it overlaps that can
still change (services/contracts/data_versions.py): the workers replace a version after
each commit touching its hour, so the next request misses and recomputes, while windows
the new data does not touch keep their entries. Entries that touch "now" still live only
OPEN_TTL_S, and other versioned ones VERSIONED_TTL_S, which bounds the harm of a version
bump that failed.

On a read replica the workers bump a version once their commit is on the primary, which
the replica may not have replayed yet: a request in between caches the older answer under
the new version. There every versioned entry lives OPEN_TTL_S, so such an answer is at
most that much older than the replica's own data.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from datetime import datetime, timedelta

import msgspec
import redis.asyncio
import structlog

from services.contracts.data_versions import (
    HOUR,
    SETTLING,
    hour_of,
    version_key,
    version_ttl_s,
)
from services.query.instruments import CACHE

KEY_PREFIX = "vitals:query:v2"
OPEN_TTL_S = 10
VERSIONED_TTL_S = 600
CLOSED_TTL_S = 3600
# Ingest accepts a time origin up to this far ahead (time_origin_max_ahead_s, 10 min):
# hours beyond it cannot receive data yet. Bounds the versions a far-future window reads.
AHEAD = timedelta(hours=1)
# Read every version in one round trip; a missing one (never written, expired, evicted)
# gets a fresh random token, so an entry cached before a version was lost never matches.
READ_VERSIONS = """
local out = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  if not v then
    v = ARGV[1] .. i
    redis.call('SET', key, v, 'EX', ARGV[2])
  end
  out[i] = v
end
return out
"""
TIMEOUT_S = 0.25  # a local Redis answers in well under a millisecond
RETRY_AFTER_FAILURE_S = 5.0

log = structlog.get_logger()


def cache_key(project_id: int, endpoint: str, query: msgspec.Struct) -> str:
    """The project in clear (for inspection and invalidation) and the query's digest."""
    digest = hashlib.sha256(msgspec.json.encode(query, order="sorted")).hexdigest()
    return f"{KEY_PREFIX}:{project_id}:{endpoint}:{digest}"


def ttl_for(
    end: datetime, now: datetime, versioned: bool, versioned_ttl_s: int = VERSIONED_TTL_S
) -> int:
    if end > now:
        return OPEN_TTL_S
    return versioned_ttl_s if versioned else CLOSED_TTL_S


class ResultCache:
    def __init__(
        self, client: redis.asyncio.Redis, *, late_s: float = 172_800.0, replica: bool = False
    ) -> None:
        """`late_s`: how old a page view ingest still accepts (time_origin_max_age_s);
        `replica`: the answers come from a read replica (see the module's docstring)."""
        self.client = client
        self.versioned_ttl_s = OPEN_TTL_S if replica else VERSIONED_TTL_S
        self.late = timedelta(seconds=late_s)
        self._version_ttl_s = version_ttl_s(late_s)
        self._read_versions = client.register_script(READ_VERSIONS)
        self._skip_until = 0.0

    def open_hours(self, start: datetime, end: datetime, now: datetime) -> list[int]:
        """The hours of [start, end) that can still receive data; empty: the window is final."""
        first = max(start, now - self.late - SETTLING)
        last = min(end, now + AHEAD)
        if first >= last:
            return []
        return list(range(hour_of(first), hour_of(last - timedelta(microseconds=1)) + 1,
                          int(HOUR.total_seconds())))  # fmt: skip

    async def versions(self, project_id: int, hours: list[int]) -> str | None:
        """A digest of the hours' data versions; None when they cannot be read (do not cache)."""
        if self._skipping():
            return None
        keys = [version_key(project_id, hour) for hour in hours]
        try:
            async with asyncio.timeout(TIMEOUT_S):
                tokens = await self._read_versions(
                    keys=keys, args=[secrets.token_hex(8) + ":", self._version_ttl_s]
                )
        except Exception as exc:
            self._failed("versions", exc)
            return None
        joined = b",".join(t.encode() if isinstance(t, str) else bytes(t) for t in tokens)
        return hashlib.sha256(joined).hexdigest()[:16]

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
