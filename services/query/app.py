"""The read-only query service: percentiles, series and breakdowns from the rollups."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State

from services.contracts.database import create_pool, ping
from services.contracts.errors import EXCEPTION_HANDLERS
from services.contracts.health import CHECK_TIMEOUT_S, health_router
from services.contracts.logging import configure_logging
from services.contracts.redis_client import async_redis
from services.contracts.settings import Settings

SERVICE = "query"


async def check_database(state: State) -> None:
    await ping(state.db, CHECK_TIMEOUT_S)


async def check_cache(state: State) -> None:
    await state.cache.ping()


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    configure_logging(settings, SERVICE)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.db = await create_pool(settings, SERVICE, read_only=True)
        app.state.cache = async_redis(settings, settings.cache_url)
        try:
            yield
        finally:
            await app.state.cache.aclose()
            await app.state.db.close()

    return Litestar(
        route_handlers=[health_router({"database": check_database, "cache_redis": check_cache})],
        lifespan=[lifespan],
        exception_handlers=EXCEPTION_HANDLERS,
        state=State({"settings": settings}),
    )
