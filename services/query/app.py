"""The read-only query service: percentiles, series and breakdowns from the rollups."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from litestar import Litestar, Request, Response, Router, get
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.contracts.bodies import JsonBodyRequest
from services.contracts.database import ping
from services.contracts.errors import EXCEPTION_HANDLERS, ExceptionHandlers, error_response
from services.contracts.generations import TokenGenerations
from services.contracts.health import CHECK_TIMEOUT_S, Check, health_router
from services.contracts.logging import configure_logging
from services.contracts.ops import ops_token, require_ops_token
from services.contracts.redis_client import async_redis
from services.contracts.request_ids import bind_request_id, send_request_id
from services.contracts.settings import Settings
from services.query.alerts import ALERT_VIEWS
from services.query.attribution import attribution_view
from services.query.auth import SECURITY, authorize_project
from services.query.breakdown import breakdown_view
from services.query.cache import ResultCache
from services.query.check import check_by_name_view, check_view
from services.query.connections import reader_pool
from services.query.crux import query_record_view
from services.query.histogram import histogram_view
from services.query.login import issue_token, login_lifespan
from services.query.openapi import DESCRIPTION
from services.query.releases import (
    comparison_by_name_view,
    comparison_view,
    deploys_view,
    releases_view,
)
from services.query.replica import check_replica_lag, is_standby, measure_replay
from services.query.singleflight import SingleFlight
from services.query.summary import summary_view
from services.query.timeseries import timeseries_view

SERVICE = "query"
_MISSING = re.compile(r"Missing required \w+ parameter '([^']+)'")


async def check_database(state: State) -> None:
    await ping(state.db, CHECK_TIMEOUT_S)


async def check_cache(state: State) -> None:
    await state.cache.ping()


# In order: the replica check needs the database.
READINESS: dict[str, Check] = {
    "database": check_database,
    "cache_redis": check_cache,
    "replica_lag": check_replica_lag,
}


@get("/metrics", include_in_schema=False, guards=[require_ops_token])
async def metrics(state: State) -> Response[bytes]:
    with suppress(Exception):  # the counters are still worth a scrape; /ready tells why
        await asyncio.wait_for(
            measure_replay(state.db, state.settings.query_max_replica_lag_s), CHECK_TIMEOUT_S
        )
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _invalid_parameter(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's own parameter and body checks, in the same shape as ours."""
    problems = exc.extra if isinstance(exc.extra, list) else []
    details = [
        f"{p.get('key', 'body')}: {p.get('message', '')}" for p in problems if isinstance(p, dict)
    ]
    missing = _MISSING.search(exc.detail)
    if not details and missing:
        details = [f"{missing[1]}: is required"]
    return error_response(400, "invalid_parameter", "; ".join(details) or exc.detail)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    settings.require_jwt_secret()
    configure_logging(settings, SERVICE)
    ops_token(settings)  # a too-short one is refused at start, not at the first scrape

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.db = await reader_pool(settings, SERVICE)
        app.state.cache = async_redis(settings, settings.cache_url)
        app.state.results = ResultCache(
            app.state.cache,
            late_s=settings.time_origin_max_age_s,
            replica=await is_standby(app.state.db),
        )
        app.state.flights = SingleFlight()
        try:
            yield
        finally:
            await app.state.cache.aclose()
            await app.state.db.close()

    projects = Router(
        path="/v1/projects/{project_id:int}",
        guards=[authorize_project],
        security=SECURITY,
        tags=["views"],
        route_handlers=[summary_view, timeseries_view, breakdown_view, histogram_view,
                        attribution_view, releases_view, comparison_view, comparison_by_name_view,
                        deploys_view, *ALERT_VIEWS],
    )  # fmt: skip
    # 400 by status: Litestar's malformed-body ClientException too, not only its validation.
    handlers: ExceptionHandlers = {**EXCEPTION_HANDLERS, 400: _invalid_parameter}
    return Litestar(
        route_handlers=[
            health_router(READINESS),
            metrics,
            issue_token,
            query_record_view,
            projects,
            check_view,
            check_by_name_view,
        ],
        lifespan=[lifespan, login_lifespan],  # login's needs the cache Redis: second
        exception_handlers=handlers,
        middleware=[bind_request_id],
        before_send=[send_request_id],
        request_class=JsonBodyRequest,
        openapi_config=OpenAPIConfig(
            title="Vitals query API",
            version="1",
            description=DESCRIPTION,
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
                }
            ),
        ),
        state=State(
            {"settings": settings, "generations": TokenGenerations(settings.token_check_ttl_s)}
        ),
    )
