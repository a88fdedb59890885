"""The worker's small HTTP side: /health, /ready (and later /metrics), on its own thread.

RQ owns the main thread; the health server runs uvicorn in a daemon thread with its own
event loop, so a long job never delays a liveness probe.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from litestar import Litestar
from litestar.datastructures import State

from services.contracts.database import create_pool, ping
from services.contracts.health import CHECK_TIMEOUT_S, health_router
from services.contracts.redis_client import async_redis
from services.contracts.settings import Settings

SERVICE = "workers.health"


async def check_database(state: State) -> None:
    await ping(state.db, CHECK_TIMEOUT_S)


async def check_redis(state: State) -> None:
    await state.redis.ping()


def create_health_app(settings: Settings) -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # min_size 0: the probe must start even while PostgreSQL is down, and then say so.
        app.state.db = await create_pool(settings, SERVICE, min_size=0, max_size=1)
        app.state.redis = async_redis(settings)
        try:
            yield
        finally:
            await app.state.redis.aclose()
            await app.state.db.close()

    return Litestar(
        route_handlers=[health_router({"database": check_database, "queue_redis": check_redis})],
        lifespan=[lifespan],
    )


def serve_in_thread(settings: Settings, host: str, port: int) -> threading.Thread:
    config = uvicorn.Config(create_health_app(settings), host=host, port=port, log_level="warning")
    thread = threading.Thread(target=uvicorn.Server(config).run, name="health", daemon=True)
    thread.start()
    return thread
