"""The realtime server: Socket.IO over ASGI, one room per project, fed through Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import socketio
from litestar import Litestar
from litestar.datastructures import State

from services.contracts.health import health_router
from services.contracts.live import SOCKETIO_CHANNEL, project_room
from services.contracts.logging import configure_logging
from services.contracts.redis_client import async_redis
from services.contracts.settings import Settings
from services.contracts.tokens import TokenError, verify_token

SERVICE = "realtime"


async def check_redis(state: State) -> None:
    await state.redis.ping()


def create_server(settings: Settings) -> socketio.AsyncServer:
    settings.require_jwt_secret()
    server = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=socketio.AsyncRedisManager(settings.redis_url, channel=SOCKETIO_CHANNEL),
        # An explicit allow-list: never "*", since the token rides in the auth payload.
        cors_allowed_origins=list(settings.realtime_cors_origins),
    )

    @server.event  # type: ignore[untyped-decorator]
    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> bool:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str):
            raise socketio.exceptions.ConnectionRefusedError("missing_token")
        try:
            claims = verify_token(settings, token)
        except TokenError:
            raise socketio.exceptions.ConnectionRefusedError("invalid_token") from None
        await server.save_session(sid, {"claims": claims})
        for project_id in claims.projects:
            await server.enter_room(sid, project_room(project_id))
        return True

    return server


def create_app(settings: Settings | None = None) -> socketio.ASGIApp:
    settings = settings or Settings.from_env()
    configure_logging(settings, SERVICE)
    server = create_server(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.redis = async_redis(settings)
        try:
            yield
        finally:
            await app.state.redis.aclose()

    http = Litestar(
        route_handlers=[health_router({"redis": check_redis})],
        lifespan=[lifespan],
        state=State({"settings": settings, "sio": server}),
    )
    return socketio.ASGIApp(server, other_asgi_app=http)
