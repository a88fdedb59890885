"""The workers keep the ingest-key registry built: ingest never touches the database.

When the registry is missing from Redis (Redis lost its data, a failover, a new volume)
ingest cannot check any key and answers 503. Every worker process looks for the
registry's marker at start and every CHECK_INTERVAL_S, from a thread of its own so that
a long job never delays it, and rebuilds the registry from the database when the marker
is missing: the same rebuild as `vitals keys sync` (services/contracts/key_registry.py).
Several workers may rebuild at once; each build is complete, so the last one wins.
"""

from __future__ import annotations

import asyncio
import threading

import asyncpg
import redis.asyncio
import structlog

from services.contracts import key_registry
from services.contracts.database import create_pool
from services.contracts.redis_client import async_redis
from services.contracts.settings import Settings

# A beacon refused with 503 is lost (sendBeacon never retries), so the gap stays short;
# the check is one EXISTS.
CHECK_INTERVAL_S = 2.0
SERVICE = "workers.registry"

log = structlog.get_logger()


async def heal(client: redis.asyncio.Redis, pool: asyncpg.Pool) -> int | None:
    """Rebuild the registry if it is missing: the number of keys built, None if it was there."""
    if await key_registry.present(client):
        return None
    async with pool.acquire() as connection:
        count = await key_registry.rebuild(
            client, lambda: key_registry.active_key_access(connection)
        )
    log.warning("key_registry_rebuilt", keys=count)
    return count


class RegistryKeeper:
    """Runs `heal` at start and every CHECK_INTERVAL_S on a thread with its own loop."""

    def __init__(self, settings: Settings, interval_s: float = CHECK_INTERVAL_S) -> None:
        self.settings = settings
        self.interval_s = interval_s
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="registry", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stopped.set()
        self._thread.join(timeout_s)

    def _run(self) -> None:
        asyncio.run(self._keep())

    async def _keep(self) -> None:
        client = async_redis(self.settings)
        # min_size 0: a connection is opened only for a rebuild, which is rare.
        pool = await create_pool(self.settings, SERVICE, min_size=0, max_size=1)
        try:
            while not self._stopped.is_set():
                try:
                    await heal(client, pool)
                except Exception as exc:  # Redis or PostgreSQL away: the next tick tries again
                    log.warning("key_registry_check_failed", error=repr(exc))
                await asyncio.to_thread(self._stopped.wait, self.interval_s)
        finally:
            await pool.close()
            await client.aclose()
