"""The admin service: writes made by people and CI jobs (deploy markers; alert rules and
destinations; projects, ingest keys and users under /v1/admin), with its own database
login (settings.admin_url), which may write only what these endpoints need."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import msgspec
from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig

from services.admin.alert_rules import RULE_HANDLERS
from services.admin.deploys import record_deploy_view
from services.admin.destinations import DESTINATION_HANDLERS
from services.admin.keys import KEY_HANDLERS
from services.admin.me import ME_HANDLERS
from services.admin.members import MEMBER_HANDLERS
from services.admin.projects import PROJECT_HANDLERS
from services.admin.set_password import SET_PASSWORD_HANDLERS
from services.admin.test_notifications import TEST_NOTIFICATION_HANDLERS
from services.admin.users import USER_HANDLERS
from services.contracts.bodies import JsonBodyRequest
from services.contracts.database import create_pool, ping
from services.contracts.errors import EXCEPTION_HANDLERS
from services.contracts.generations import TokenGenerations
from services.contracts.health import CHECK_TIMEOUT_S, Check, health_router
from services.contracts.logging import configure_logging
from services.contracts.ops import ops_token
from services.contracts.redis_client import async_redis, sync_redis
from services.contracts.request_ids import bind_request_id, send_request_id
from services.contracts.settings import Settings

SERVICE = "admin"


async def check_database(state: State) -> None:
    await ping(state.db, CHECK_TIMEOUT_S)


READINESS: dict[str, Check] = {"database": check_database}


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    configure_logging(settings, SERVICE)
    ops_token(settings)  # a too-short one is refused at start

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        login = msgspec.structs.replace(settings, database_url=settings.admin_url)
        app.state.db = await create_pool(login, SERVICE, min_size=1, max_size=4)
        # The key registry and the job queue (a project's purge); the cache Redis for the
        # set-password throttle.
        app.state.redis = async_redis(settings)
        app.state.queue = sync_redis(settings)
        app.state.cache = async_redis(settings, settings.cache_url)
        try:
            yield
        finally:
            await app.state.redis.aclose()
            await app.state.cache.aclose()
            app.state.queue.close()
            await app.state.db.close()

    return Litestar(
        route_handlers=[
            health_router(READINESS),
            record_deploy_view,
            *RULE_HANDLERS,
            *DESTINATION_HANDLERS,
            *TEST_NOTIFICATION_HANDLERS,
            *ME_HANDLERS,
            *PROJECT_HANDLERS,
            *KEY_HANDLERS,
            *MEMBER_HANDLERS,
            *USER_HANDLERS,
            *SET_PASSWORD_HANDLERS,
        ],
        lifespan=[lifespan],
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[bind_request_id],
        before_send=[send_request_id],
        request_class=JsonBodyRequest,
        openapi_config=OpenAPIConfig(title="Vitals admin API", version="1"),
        state=State(
            {"settings": settings, "generations": TokenGenerations(settings.token_check_ttl_s)}
        ),
    )
