"""Which project an ingest key opens: the Redis key registry behind an in-process cache.

Every beacon needs this answer, so it must not cost a Redis round trip each time. A
known key is remembered for settings.key_cache_ttl_s (so a revocation takes effect within
that); an unknown one only for NEGATIVE_TTL_S, so a key created a moment ago works a
moment later while a flood of one made-up key still costs one lookup a second. The cache
is bounded so that a flood of many made-up keys cannot grow it without limit. When the
registry is missing from Redis nothing is remembered: the answer is "cannot check", not
"unknown key".
"""

from __future__ import annotations

import asyncio
import time
from functools import lru_cache

import redis.asyncio

from services.contracts.key_registry import read_entry
from services.contracts.keys import ProjectAccess, decode_access, key_hash

MAX_ENTRIES = 100_000  # ~20 MB at worst; far more keys than any one deployment issues
MAX_KEY_LENGTH = 128  # real keys are 46 characters; longer ones are not worth hashing
NEGATIVE_TTL_S = 1.0


class KeyCache:
    def __init__(self, client: redis.asyncio.Redis, *, ttl_s: float, timeout_s: float) -> None:
        self._redis = client
        self._ttl_s = ttl_s
        self._timeout_s = timeout_s
        # Insertion order is roughly expiry order, so the oldest goes first.
        self._entries: dict[str, tuple[float, ProjectAccess | None]] = {}
        self._inflight: dict[str, asyncio.Task[ProjectAccess | None]] = {}

    async def lookup(self, key: str) -> ProjectAccess | None:
        """The key's project access, or None for an unknown or revoked key.

        Raises a Redis error or TimeoutError when the registry cannot be read, and
        RegistryMissing when it is not built; neither must look like a revoked key.
        """
        if len(key) > MAX_KEY_LENGTH:
            return None
        digest = key_hash(key)
        entry = self._entries.get(digest)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        # Concurrent misses for one key share a single HGET.
        task = self._inflight.get(digest)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._fetch(digest))
            self._inflight[digest] = task
            task.add_done_callback(lambda done: self._settle(digest, done))
        return await asyncio.shield(task)

    def _settle(self, digest: str, task: asyncio.Task[ProjectAccess | None]) -> None:
        self._inflight.pop(digest, None)
        if not task.cancelled():
            task.exception()  # retrieved here too, in case every waiter gave up first

    async def _fetch(self, digest: str) -> ProjectAccess | None:
        async with asyncio.timeout(self._timeout_s):
            raw = await read_entry(self._redis, digest)
        access = None if raw is None else decode_access(raw)
        self._remember(digest, access)
        return access

    def _remember(self, digest: str, access: ProjectAccess | None) -> None:
        ttl_s = self._ttl_s if access is not None else min(self._ttl_s, NEGATIVE_TTL_S)
        self._entries.pop(digest, None)
        self._entries[digest] = (time.monotonic() + ttl_s, access)
        while len(self._entries) > MAX_ENTRIES:
            del self._entries[next(iter(self._entries))]


def origin_allowed(access: ProjectAccess, origin: str | None) -> bool:
    """An empty allow-list admits any origin; otherwise the browser's Origin must be listed."""
    if not access.allowed_origins:
        return True
    if origin is None:
        return False
    return origin.rstrip("/").lower() in _normalised(access.allowed_origins)


@lru_cache(maxsize=1024)
def _normalised(origins: tuple[str, ...]) -> frozenset[str]:
    return frozenset(o.rstrip("/").lower() for o in origins)
