"""The write-only ingest service: beacons in, RQ jobs out. It never touches the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

from litestar import Litestar
from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.types import (
    HTTPScope,
    LifeSpanReceive,
    LifeSpanScope,
    LifeSpanSend,
    Receive,
    Scope,
    Send,
)

from services.contracts import key_registry
from services.contracts.errors import EXCEPTION_HANDLERS
from services.contracts.health import NotReady, health_router
from services.contracts.logging import configure_logging
from services.contracts.ops import ops_token
from services.contracts.redis_client import async_redis
from services.contracts.request_ids import send_request_id
from services.contracts.settings import Settings
from services.ingest.access import KeyCache
from services.ingest.backpressure import QueueDepth
from services.ingest.beacon import receive_beacon
from services.ingest.bots import load_parser
from services.ingest.commit import GroupCommit, adaptive_linger
from services.ingest.cors import BEACON_PATH, beacon_preflight
from services.ingest.country import CountrySource
from services.ingest.intake import Intake
from services.ingest.ratelimit import RateLimiter
from services.ingest.sdk_bundle import load_bundle, sdk_file
from services.ingest.telemetry import IngestTelemetry, metrics

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


async def check_key_registry(state: State) -> None:
    if not await key_registry.present(state.redis):
        raise NotReady(
            "the key registry is missing from Redis (beacons get 503); the workers rebuild"
            " it from the database within seconds, or run `vitals keys sync`"
        )


class IngestApp(Litestar):
    """Litestar, with POST /v1/beacon answered ahead of its routing (beacon.py says why)."""

    async def __call__(
        self,
        scope: Scope | LifeSpanScope,
        receive: Receive | LifeSpanReceive,
        send: Send | LifeSpanSend,
    ) -> None:
        if scope["type"] == ScopeType.HTTP and _is_beacon(cast("HTTPScope", scope)):
            await receive_beacon(self.state, scope, receive, send)  # type: ignore[arg-type]
            return
        await super().__call__(scope, receive, send)


def _is_beacon(scope: HTTPScope) -> bool:
    return scope["method"] == "POST" and scope["path"] == BEACON_PATH


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    configure_logging(settings, SERVICE)
    ops_token(settings)  # a too-short one is refused at start, not at the first scrape
    telemetry = IngestTelemetry()
    countries = CountrySource.of(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        load_parser()
        # In a thread, not awaited: start-up does not wait the second it takes (country.py).
        loading = asyncio.create_task(countries.load())
        timeout_s = settings.redis_timeout_s
        app.state.redis = async_redis(settings)
        app.state.queue_depth = depth = QueueDepth(
            app.state.redis, timeout_s=timeout_s, observe=telemetry.queue_depth.set
        )
        limiter = RateLimiter(app.state.redis, timeout_s=timeout_s)
        commit = GroupCommit(
            app.state.redis,
            timeout_s=timeout_s,
            observe=telemetry.batch,
            linger_s=adaptive_linger(settings, depth),
        )
        keys = KeyCache(app.state.redis, ttl_s=settings.key_cache_ttl_s, timeout_s=timeout_s)
        app.state.intake = Intake(
            settings,
            keys=keys,
            limiter=limiter,
            depth=depth,
            commit=commit,
            telemetry=telemetry,
        )
        try:
            yield
        finally:
            loading.cancel()
            # Beacons past the rate limit go on to the commit, so it closes last.
            await limiter.aclose()
            await commit.aclose()
            await app.state.redis.aclose()
            app.state.intake.close()  # the last summary of refused beacons

    return IngestApp(
        route_handlers=[
            health_router({"queue_redis": check_queue_redis, "key_registry": check_key_registry}),
            beacon_preflight,
            sdk_file,
            metrics,
        ],
        lifespan=[lifespan],
        exception_handlers=EXCEPTION_HANDLERS,
        # No bind_request_id middleware here: ingest logs nothing per request (refusals
        # are summarised), the 500 handler reads the id from the scope, and binding it
        # into every beacon's context cost ~10 % of a process's saturation (bench-ingest).
        before_send=[send_request_id],
        state=State(
            {
                "settings": settings,
                "telemetry": telemetry,
                "countries": countries,
                "sdk_bundle": load_bundle(),
            }
        ),
    )
