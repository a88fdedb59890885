"""With its Redis down or stalled, ingest answers 503 with Retry-After (never 500, never 202),
and recovers on its own once Redis is back."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio

from services.contracts.settings import Settings
from tests.ingest.conftest import (
    beacon,
    ingest_client,
    post_beacon,
    publish_key,
    queued_beacons,
)
from tests.support.processes import RedisServer

TIMEOUT_S = 0.5


@pytest.fixture
def outage_settings(settings: Settings, private_redis: RedisServer) -> Settings:
    return Settings(
        database_url=settings.database_url, redis_url=private_redis.url, redis_timeout_s=TIMEOUT_S
    )


@pytest.fixture
async def private_client(private_redis: RedisServer) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(private_redis.url)
    try:
        yield client
    finally:
        await client.aclose()


async def _until_accepted(client: Any, key: str, within_s: float) -> int:
    """POSTs until a 202 (or the deadline); returns how many 503s came before it."""
    refused = 0
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        response = await post_beacon(client, key, beacon("minimal"))
        if response.status_code == 202:
            return refused
        assert response.status_code == 503, response.text
        refused += 1
        await asyncio.sleep(0.1)
    raise AssertionError(f"no 202 within {within_s}s of Redis coming back")


class TestRedisStopped:
    async def test_503_while_down_then_202_without_a_new_app(
        self,
        outage_settings: Settings,
        private_redis: RedisServer,
        private_client: redis.asyncio.Redis,
    ) -> None:
        """Redis stopped: beacons get 503 queue_unavailable with Retry-After; restarted: the same app accepts again."""
        key = await publish_key(private_client, project_id=3)
        async with ingest_client(outage_settings) as client:
            assert (await post_beacon(client, key, beacon("minimal"))).status_code == 202
            private_redis.stop()
            for _ in range(3):
                down = await post_beacon(client, key, beacon("minimal"))
                assert down.status_code == 503
                assert down.json()["error"] == "queue_unavailable"
                assert int(down.headers["retry-after"]) > 0
            private_redis.start()
            await _until_accepted(client, key, within_s=5)
        # The beacon acked before the stop survived it (AOF), and so did the one after.
        assert len(queued_beacons(outage_settings)) == 2

    async def test_unknown_key_while_down_is_503_not_403(
        self, outage_settings: Settings, private_redis: RedisServer
    ) -> None:
        """A key that cannot be looked up is not called forbidden: the answer is 503, so the client retries."""
        async with ingest_client(outage_settings) as client:
            private_redis.stop()
            response = await post_beacon(client, "vk_uncached", beacon("minimal"))
        assert response.status_code == 503
        assert response.json()["error"] == "queue_unavailable"


class TestRedisFull:
    async def test_redis_refusing_writes_is_503(
        self, outage_settings: Settings, private_client: redis.asyncio.Redis
    ) -> None:
        """A queue Redis out of memory (noeviction refuses writes) gives 503, and 202 again once it has room."""
        key = await publish_key(private_client, project_id=3)
        async with ingest_client(outage_settings) as client:
            assert (await post_beacon(client, key, beacon("minimal"))).status_code == 202
            await private_client.config_set("maxmemory", 1)
            try:
                full = await post_beacon(client, key, beacon("minimal"))
            finally:
                await private_client.config_set("maxmemory", 0)
            assert full.status_code == 503
            assert full.json()["error"] == "queue_unavailable"
            assert (await post_beacon(client, key, beacon("minimal"))).status_code == 202
        assert len(queued_beacons(outage_settings)) == 2


class TestRedisStalled:
    async def test_unresponsive_redis_is_503_within_the_timeout(
        self,
        outage_settings: Settings,
        private_redis: RedisServer,
        private_client: redis.asyncio.Redis,
    ) -> None:
        """A Redis that accepts connections but never answers (SIGSTOP) gives 503 within a few timeouts, not a hang; SIGCONT recovers."""
        key = await publish_key(private_client, project_id=3)
        assert private_redis.process is not None
        async with ingest_client(outage_settings) as client:
            assert (await post_beacon(client, key, beacon("minimal"))).status_code == 202
            private_redis.process.send_signal(signal.SIGSTOP)
            try:
                started = time.monotonic()
                stalled = await post_beacon(client, key, beacon("minimal"))
                elapsed = time.monotonic() - started
            finally:
                private_redis.process.send_signal(signal.SIGCONT)
            assert stalled.status_code == 503
            assert stalled.json()["error"] == "queue_unavailable"
            assert elapsed < 4 * TIMEOUT_S + 0.5
            await _until_accepted(client, key, within_s=5)
