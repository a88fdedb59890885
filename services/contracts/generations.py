"""Is a user's token still current? Their token generation, read from the database (the
one source of truth: `users.token_generation`, bumped by the CLI) and cached briefly.

Query and realtime both check every user token with this after `verify_token`. The
cache keeps the hot path to a dictionary lookup; its TTL (`token_check_ttl_s`) is how
long a revoked token may still be honoured by a process that looked it up just before.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Collection

import asyncpg

from services.contracts.tokens import Claims

USER_GENERATIONS = "SELECT id, token_generation FROM users WHERE id = ANY($1::int[])"
# Bounded so a flood of distinct (signed) user ids cannot grow a process without limit;
# far more than the users one deployment has.
MAX_ENTRIES = 10_000


class TokenGenerations:
    def __init__(self, ttl_s: float, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        # user id -> (monotonic expiry, generation or None for a user that does not exist)
        self._cache: OrderedDict[int, tuple[float, int | None]] = OrderedDict()

    async def lookup(self, db: asyncpg.Pool, user_ids: Collection[int]) -> dict[int, int | None]:
        """Each user's current generation (None: no such user), one query for the stale ones."""
        now = time.monotonic()
        found: dict[int, int | None] = {}
        stale: list[int] = []
        for user_id in set(user_ids):
            entry = self._cache.get(user_id)
            if entry is not None and entry[0] > now:
                found[user_id] = entry[1]
            else:
                stale.append(user_id)
        if stale:
            rows = await db.fetch(USER_GENERATIONS, stale)
            fetched: dict[int, int | None] = dict.fromkeys(stale)
            fetched.update((row["id"], row["token_generation"]) for row in rows)
            for user_id, generation in fetched.items():
                self._remember(user_id, generation, now + self.ttl_s)
            found |= fetched
        return found

    async def is_current(self, db: asyncpg.Pool, claims: Claims) -> bool:
        """A project token (no user) is always current; a user's only at their generation."""
        if claims.uid is None:
            return True
        return (await self.lookup(db, [claims.uid]))[claims.uid] == claims.gen

    def _remember(self, user_id: int, generation: int | None, expires: float) -> None:
        self._cache[user_id] = (expires, generation)
        self._cache.move_to_end(user_id)
        while len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)
