"""The write-only ingest service: beacons in, RQ jobs out. It never touches the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State

from services.contracts.errors import EXCEPTION_HANDLERS
from services.contracts.health import NotReady, health_router
from services.contracts.logging import configure_logging
from services.contracts.redis_client import async_redis
from services.contracts.settings import Settings

SERVICE = "ingest"


async def check_queue_redis(state: State) -> None:
    """The queue holds accepted beacons: it must persist them and never evict them."""
    persistence = await state.redis.info("persistence")
    if not int(persistence.get("aof_enabled", 0)):
        raise NotReady("queue Redis has AOF persistence off (appendonly no)")
    memory = await state.redis.info("memory")
    policy = memory.get("maxmemory_policy", "")
    if policy != "noeviction":
        raise NotReady(f"queue Redis maxmemory-policy is {policy!r}, must be 'noeviction'")


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    configure_logging(settings, SERVICE)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.redis = async_redis(settings)
        try:
            yield
        finally:
            await app.state.redis.aclose()

    return Litestar(
        route_handlers=[health_router({"queue_redis": check_queue_redis})],
        lifespan=[lifespan],
        exception_handlers=EXCEPTION_HANDLERS,
        state=State({"settings": settings}),
    )
