"""Each service starts as a real process and reports health and readiness honestly."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import redis.asyncio

from services.contracts import key_registry
from services.contracts.settings import Settings
from tests.ingest.conftest import no_keys
from tests.support.ops import OPS_HEADERS
from tests.support.processes import RedisServer, ServiceProcess, uvicorn_service, worker_service

STARTERS: dict[str, Callable[[Settings], ServiceProcess]] = {
    "ingest": lambda s: uvicorn_service("ingest", "services.ingest.app:create_app", s),
    "query": lambda s: uvicorn_service("query", "services.query.app:create_app", s),
    "realtime": lambda s: uvicorn_service("realtime", "services.realtime.app:create_app", s),
    "workers": worker_service,
}
# The workers notice a recovered dependency within 5 s (waiting.OUTAGE_MAX_S); a busy
# machine adds to it.
READY_AGAIN_WITHIN_S = 20


@pytest.fixture(params=sorted(STARTERS))
def running(
    request: pytest.FixtureRequest, settings: Settings, private_redis: RedisServer
) -> Iterator[tuple[ServiceProcess, RedisServer]]:
    """One service, started against the test database and a Redis of the test's own."""
    service_settings = Settings(
        database_url=settings.database_url,
        redis_url=private_redis.url,
        jwt_secret=settings.jwt_secret,
        ops_token=settings.ops_token,
    )
    asyncio.run(build_empty_registry(private_redis.url))  # as the workers would
    service = STARTERS[request.param](service_settings)
    try:
        service.wait_healthy()
        yield service, private_redis
    finally:
        service.stop()


async def build_empty_registry(url: str) -> None:
    client = redis.asyncio.Redis.from_url(url)
    try:
        await key_registry.rebuild(client, no_keys)
    finally:
        await client.aclose()


class TestProbes:
    def test_healthy_and_ready_with_dependencies_up(
        self, running: tuple[ServiceProcess, RedisServer]
    ) -> None:
        """With PostgreSQL and Redis up, /health and /ready both answer 200."""
        service, _ = running
        assert httpx.get(service.url + "/health").status_code == 200
        ready = httpx.get(service.url + "/ready", headers=OPS_HEADERS, timeout=10)
        assert ready.status_code == 200, ready.text
        # Only TimescaleDB's own failing jobs may make it `degraded`: on the native Timescale
        # edition over PostgreSQL 15.20 every scheduled job fails (README: the portal error).
        if ready.json()["status"] != "ready":
            assert ready.json()["status"] == "degraded"
            assert set(ready.json()["degraded"]) == {"timescaledb_jobs"}, ready.text

    def test_not_ready_while_redis_is_down_then_ready_again(
        self, running: tuple[ServiceProcess, RedisServer]
    ) -> None:
        """Stopping Redis makes /ready 503 with the reason (to the ops token) while /health stays 200; restarting it recovers within seconds."""
        service, redis_server = running
        redis_server.stop(signal.SIGKILL)
        ready = httpx.get(service.url + "/ready", headers=OPS_HEADERS, timeout=10)
        assert ready.status_code == 503
        body = ready.json()
        assert body["status"] == "unavailable"
        assert "redis" in body["failing"]
        assert body["reason"]
        assert httpx.get(service.url + "/health").status_code == 200
        redis_server.start()
        # Polled, as an orchestrator does: a worker stays unready until its own loop has
        # noticed Redis is back (its outage backoff), which a busy machine can delay.
        deadline = time.monotonic() + READY_AGAIN_WITHIN_S
        while (status := httpx.get(service.url + "/ready", timeout=10).status_code) != 200:
            assert time.monotonic() < deadline, f"/ready still {status} after the restart"
            time.sleep(0.2)


class TestQueueSafety:
    @pytest.mark.parametrize(
        ("appendonly", "policy", "reason"),
        [(False, "noeviction", "AOF"), (True, "allkeys-lru", "noeviction")],
    )
    def test_ingest_not_ready_on_an_unsafe_queue_redis(
        self, settings: Settings, appendonly: bool, policy: str, reason: str
    ) -> None:
        """Ingest refuses readiness when the queue Redis could lose accepted beacons."""
        unsafe = RedisServer(appendonly=appendonly, policy=policy).start()
        service = STARTERS["ingest"](
            Settings(
                database_url=settings.database_url,
                redis_url=unsafe.url,
                ops_token=settings.ops_token,
            )
        )
        try:
            service.wait_healthy()
            ready = httpx.get(service.url + "/ready", headers=OPS_HEADERS, timeout=10)
            assert ready.status_code == 503
            assert reason in ready.json()["reason"]
        finally:
            service.stop()
            unsafe.cleanup()
