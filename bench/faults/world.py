"""The bench's own PostgreSQL cluster and Redis server, which its faults stop, fill and kill.

The shared servers under .local/ serve every other suite on the machine, so the bench
never touches them: it makes a TimescaleDB cluster from the host's PostgreSQL binaries
(tests/support/postgres.py) and a Redis configured like production's queue Redis (AOF
everysec, noeviction), both removed on exit. Each scenario starts from empty tables and
an empty Redis holding only the key registry.
"""

from __future__ import annotations

import asyncpg
import msgspec
import redis.asyncio

from bench.ingest.environment import TRUNCATE_DATA
from services.cli import catalog
from services.contracts import key_registry
from services.contracts.settings import Settings
from services.workers.alerts.schedule import KEYS as ALERT_KEYS
from services.workers.retention import DUE_KEY
from tests.support.ops import OPS_TOKEN
from tests.support.postgres import PostgresServer
from tests.support.processes import RedisServer

DATABASE = "vitals"
# Far above the offered load: the limiter runs but never refuses.
RATE_LIMIT_PER_MINUTE = 1_000_000_000


class World(msgspec.Struct, frozen=True):
    settings: Settings  # what the services under test are started with
    key: str
    project_id: int


class PrivateServers:
    def __init__(self) -> None:
        self.postgres = PostgresServer()
        self.redis = RedisServer()
        self._world: World | None = None

    @property
    def world(self) -> World:
        assert self._world is not None, "start() first"
        return self._world

    async def start(self) -> World:
        self.redis.start()
        self.postgres.init().start()
        url = await self.postgres.create_migrated_database(DATABASE)
        connection = await asyncpg.connect(url)
        try:
            project = await catalog.create_project(
                connection, slug="faults", name="Fault benchmark", allowed_origins=[],
                rate_limit_per_minute=RATE_LIMIT_PER_MINUTE, filter_bots=True,
            )  # fmt: skip
            key = await catalog.create_key(connection, project.id, "bench")
        finally:
            await connection.close()
        # Production's settings but for the servers, the ops token (the bench reads the
        # workers' /ready) and warnings only (per-batch info lines cost CPU at this rate).
        settings = Settings(
            database_url=url, redis_url=self.redis.url, ops_token=OPS_TOKEN, log_level="warning"
        )
        self._world = World(settings=settings, key=key, project_id=project.id)
        return self._world

    async def reset(self) -> None:
        """Empty tables, and an empty Redis but for the key registry and the retention
        job marked done (so only the bench's beacons go through the queue)."""
        connection = await asyncpg.connect(self.world.settings.database_url)
        client = redis.asyncio.Redis.from_url(self.world.settings.redis_url)
        try:
            await connection.execute(TRUNCATE_DATA)
            await client.flushall()
            await client.set(DUE_KEY, 1, ex=24 * 3600)
            for alert_key in ALERT_KEYS:  # the alert jobs too (alerts/schedule.py)
                await client.set(alert_key, 1, ex=24 * 3600)
            await key_registry.rebuild(client, lambda: key_registry.active_key_access(connection))
        finally:
            await client.aclose()
            await connection.close()

    def close(self) -> None:
        self.redis.cleanup()
        self.postgres.cleanup()
