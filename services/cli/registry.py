"""Keeps the Redis key registry (services/contracts/keys.py) in step with the database."""

from __future__ import annotations

import redis.asyncio

from services.contracts.keys import REGISTRY_KEY, ProjectAccess, encode_access


async def publish(client: redis.asyncio.Redis, access: dict[str, ProjectAccess]) -> None:
    if access:
        await client.hset(REGISTRY_KEY, mapping={h: encode_access(a) for h, a in access.items()})


async def withdraw(client: redis.asyncio.Redis, hashes: list[str]) -> None:
    if hashes:
        await client.hdel(REGISTRY_KEY, *hashes)


async def rebuild(client: redis.asyncio.Redis, access: dict[str, ProjectAccess]) -> None:
    """Replace the whole registry atomically: readers see the old or the new, never a mix."""
    staging = REGISTRY_KEY + ":rebuild"
    async with client.pipeline(transaction=True) as pipe:
        pipe.delete(staging)
        if access:
            pipe.hset(staging, mapping={h: encode_access(a) for h, a in access.items()})
            pipe.rename(staging, REGISTRY_KEY)
        else:
            pipe.delete(REGISTRY_KEY)
        await pipe.execute()
