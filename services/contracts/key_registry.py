"""The ingest-key registry: what it is built from, its writers (CLI, workers), its one read.

The registry (a hash, `REGISTRY_KEY`) comes with a marker (`MARKER_KEY`) that is written
in the same MULTI as every complete build. The marker is what tells "this key is unknown"
(marker present: 403) from "the registry is gone" (Redis lost its data, a failover, a new
volume: ingest cannot check any key and answers 503 until the workers rebuild it).
Incremental writes (a key created or revoked) never set the marker: a registry holding
one new key is not a complete one. Its database source (`active_key_access`) lives here
too, so `vitals keys sync` and the workers' self-healing build the same registry.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import redis.asyncio
from redis.exceptions import WatchError

from services.contracts.database import Connection
from services.contracts.keys import MARKER_KEY, REGISTRY_KEY, ProjectAccess, encode_access

LoadAccess = Callable[[], Awaitable[dict[str, ProjectAccess]]]
STAGING_KEY = REGISTRY_KEY + ":rebuild"
REBUILD_ATTEMPTS = 5


SELECT_ACTIVE_KEYS = """
SELECT k.key_hash, p.id, p.allowed_origins, p.rate_limit_per_minute, p.filter_bots
FROM ingest_keys k JOIN projects p ON p.id = k.project_id
WHERE k.revoked_at IS NULL AND ($1::int IS NULL OR p.id = $1)
"""


class RegistryMissing(Exception):
    """The registry has not been built in this Redis: no key can be checked."""


async def active_key_access(
    connection: Connection, project_id: int | None = None
) -> dict[str, ProjectAccess]:
    """Every active key's project access (one project's, given its id), from the database."""
    rows = await connection.fetch(SELECT_ACTIVE_KEYS, project_id)
    return {
        row["key_hash"]: ProjectAccess(
            project_id=row["id"],
            allowed_origins=tuple(row["allowed_origins"]),
            rate_limit_per_minute=row["rate_limit_per_minute"],
            filter_bots=row["filter_bots"],
        )
        for row in rows
    }


async def publish(client: redis.asyncio.Redis, access: dict[str, ProjectAccess]) -> None:
    if access:
        await client.hset(REGISTRY_KEY, mapping={h: encode_access(a) for h, a in access.items()})


async def withdraw(client: redis.asyncio.Redis, hashes: list[str]) -> None:
    if hashes:
        await client.hdel(REGISTRY_KEY, *hashes)


async def present(client: redis.asyncio.Redis) -> bool:
    return bool(await client.exists(MARKER_KEY))


async def rebuild(client: redis.asyncio.Redis, load: LoadAccess) -> int:
    """Replace the whole registry with what `load` reads from the database, and mark it built.

    Readers see the old registry or the new one, never a mix. A key created or revoked
    while `load` runs is not lost: the CLI commits to the database before it writes to
    Redis, so its write either happened before the WATCH (and `load` saw the commit) or
    after it (and the transaction aborts and runs again). Returns the number of keys.
    """
    for _ in range(REBUILD_ATTEMPTS):
        async with client.pipeline(transaction=True) as pipe:
            await pipe.watch(REGISTRY_KEY)
            access = await load()
            pipe.multi()  # type: ignore[no-untyped-call]
            pipe.delete(STAGING_KEY)
            if access:
                pipe.hset(STAGING_KEY, mapping={h: encode_access(a) for h, a in access.items()})
                pipe.rename(STAGING_KEY, REGISTRY_KEY)
            else:
                pipe.delete(REGISTRY_KEY)
            pipe.set(MARKER_KEY, str(time.time()))
            try:
                await pipe.execute()
            except WatchError:
                continue
            return len(access)
    raise RuntimeError(f"the key registry changed during {REBUILD_ATTEMPTS} rebuilds in a row")


async def read_entry(client: redis.asyncio.Redis, digest: str) -> bytes | None:
    """One key's registry entry; None when the key is unknown in a built registry.

    Raises RegistryMissing when the registry is not built. Entry and marker are read in
    one MULTI, so a rebuild that lands between them cannot make a valid key look unknown.
    """
    async with client.pipeline(transaction=True) as pipe:
        pipe.hget(REGISTRY_KEY, digest)
        pipe.exists(MARKER_KEY)
        raw, built = await pipe.execute()
    if raw is not None:
        return bytes(raw)
    if not built:
        raise RegistryMissing
    return None
