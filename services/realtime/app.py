"""The realtime server: Socket.IO over ASGI, one room per project, fed from a Redis stream.

Data flow: workers append a LiveBatch per processed batch to the live stream
(`feed.BatchFeed` follows it), `broadcast.Broadcaster` merges per project and emits at most
4 events/s to the project's room, `sessions.Sessions` decides who is in which room.
Each instance serves only its own sockets, so instances behind one Redis never duplicate
an event (see broadcast.py); the Socket.IO server therefore runs without a Redis manager.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import socketio
from litestar import Litestar
from litestar.datastructures import State

from services.contracts.database import create_pool
from services.contracts.health import health_router
from services.contracts.logging import configure_logging
from services.contracts.redis_client import async_redis
from services.contracts.settings import Settings, SettingsError
from services.realtime.broadcast import Broadcaster
from services.realtime.fanout import LocalFanoutManager
from services.realtime.feed import BatchFeed
from services.realtime.sessions import Sessions

SERVICE = "realtime"
# Clients only ever send `subscribe`; a large frame is a mistake or an attack.
MAX_CLIENT_MESSAGE_BYTES = 16 * 1024


def origin_allow_list(origins: tuple[str, ...]) -> Callable[[str | None], bool]:
    """Exactly the configured dashboard origins; none configured → no browser origin."""
    if "*" in origins:
        raise SettingsError("VITALS_REALTIME_CORS_ORIGINS lists origins; '*' is refused")
    allowed = frozenset(origin.rstrip("/") for origin in origins)

    def is_allowed(origin: str | None) -> bool:
        return origin in allowed

    return is_allowed


def create_server(settings: Settings) -> socketio.AsyncServer:
    settings.require_jwt_secret()
    return socketio.AsyncServer(
        async_mode="asgi",
        client_manager=LocalFanoutManager(),
        # A callable, not a list: python-engineio reads an empty list as "CORS handling
        # disabled", which would accept every origin.
        cors_allowed_origins=origin_allow_list(settings.realtime_cors_origins),
        # The token rides in the auth payload, never in a cookie.
        cors_credentials=False,
        max_http_buffer_size=MAX_CLIENT_MESSAGE_BYTES,
    )


async def check_redis(state: State) -> None:
    await state.redis.ping()


async def check_live_feed(state: State) -> None:
    if not state.feed.healthy:
        raise RuntimeError("the live stream has not been read lately")


def create_app(settings: Settings | None = None) -> socketio.ASGIApp:
    settings = settings or Settings.from_env()
    configure_logging(settings, SERVICE)
    server = create_server(settings)
    sessions = Sessions(server, settings)
    broadcaster = Broadcaster(server)
    feed = BatchFeed(settings, broadcaster.deliver)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.redis = async_redis(settings)
        # Only user tokens' generations are read here; min_size 0 opens no connection
        # until the first one, so realtime starts and serves project tokens without it.
        # It logs in as the query service's read-only role, never as the schema owner.
        reader = msgspec.structs.replace(settings, database_url=settings.query_url)
        sessions.db = await create_pool(reader, SERVICE, read_only=True, min_size=0, max_size=2)
        loop = asyncio.get_running_loop()
        tasks = [
            loop.create_task(feed.run(), name="live-feed"),
            loop.create_task(sessions.watch_revocations(), name="revocations"),
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await broadcaster.close()
            await app.state.redis.aclose()
            await sessions.db.close()

    state: dict[str, Any] = {"settings": settings, "sessions": sessions, "feed": feed}
    http = Litestar(
        route_handlers=[health_router({"redis": check_redis, "live_feed": check_live_feed})],
        lifespan=[lifespan],
        state=State(state),
    )
    return socketio.ASGIApp(server, other_asgi_app=http)
