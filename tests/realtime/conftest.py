"""Realtime test fixtures: real uvicorn processes, real Redis, python-socketio clients.

Realtime reads the database only for user tokens' generations (test_revocation.py
starts its own server on the migrated test database), and other suites flush the shared
test Redis db at will, so these tests run on a redis-server of their own (one per module). Each test takes
project ids of its own (`project_ids`), so the shared server and stream carry nothing from
one test into the next.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
import redis

from services.contracts.settings import Settings
from services.contracts.tokens import mint_token
from tests.realtime.live import LiveClient
from tests.support.processes import RedisServer, ServiceProcess, uvicorn_service

DASHBOARD_ORIGIN = "http://dashboard.test"
FACTORY = "services.realtime.app:create_app"
_project_ids = itertools.count(1000)


def realtime_settings(settings: Settings, redis_url: str) -> Settings:
    return Settings(
        database_url=settings.database_url,  # opened only for user tokens (test_revocation)
        redis_url=redis_url,
        jwt_secret=settings.jwt_secret,
        realtime_cors_origins=(DASHBOARD_ORIGIN,),
    )


def wait_ready(service: ServiceProcess, timeout_s: float = 30.0) -> None:
    """Healthy and following the live stream (/ready checks the feed too)."""
    service.wait_healthy(timeout_s)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if httpx.get(service.url + "/ready", timeout=5).status_code == 200:
            return
        time.sleep(0.1)
    raise TimeoutError(f"{service.name} not ready: {service.log_path.read_text()[-2000:]}")


def start_realtime(settings: Settings) -> ServiceProcess:
    service = uvicorn_service("realtime", FACTORY, settings)
    try:
        wait_ready(service)
    except BaseException:
        service.stop()
        raise
    return service


@pytest.fixture(scope="module")
def live_redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="module")
def realtime(base_settings: Settings, live_redis: RedisServer) -> Iterator[ServiceProcess]:
    """One realtime server, shared by a module's tests."""
    service = start_realtime(realtime_settings(base_settings, live_redis.url))
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def project_ids() -> Callable[[int], list[int]]:
    return lambda n: [next(_project_ids) for _ in range(n)]


@pytest.fixture
def token(base_settings: Settings) -> Callable[..., str]:
    def mint(projects: list[int], lifetime_s: int = 3600) -> str:
        return mint_token(base_settings, subject="tester", projects=projects, lifetime_s=lifetime_s)

    return mint


@pytest.fixture
def publisher(live_redis: RedisServer) -> Iterator[redis.Redis]:
    """A synchronous client, as the workers hold one, on the realtime servers' Redis."""
    client = redis.Redis.from_url(live_redis.url)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def live_client() -> Callable[..., AbstractAsyncContextManager[LiveClient]]:
    @asynccontextmanager
    async def connected(url: str, token: str, **options: object) -> AsyncIterator[LiveClient]:
        client = LiveClient()
        await client.connect(url, auth={"token": token}, **options)
        try:
            yield client
        finally:
            await client.close()

    return connected
