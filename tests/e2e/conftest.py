"""Fixtures for the end-to-end tests: a Redis server of each test's own, the emptied test
database, and the processes of the write path, stopped when the test ends."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
import msgspec
import pytest

from services.contracts.redis_client import sync_redis
from services.contracts.settings import Settings
from services.workers.alerts.schedule import KEYS as ALERT_KEYS
from services.workers.retention import DUE_KEY
from tests.e2e.stack import Stack
from tests.support.postgres import PostgresServer
from tests.support.processes import RedisServer

# Short, so a dead Redis turns into 503s quickly; well above a loopback round trip.
REDIS_TIMEOUT_S = 1.0


@pytest.fixture
def stack_settings(
    settings: Settings, db: asyncpg.Connection, private_redis: RedisServer
) -> Settings:
    """The test database (emptied) and the test's own Redis, with the hourly retention job
    marked done so that only the test's jobs go through the queue."""
    stack = msgspec.structs.replace(
        settings, redis_url=private_redis.url, redis_timeout_s=REDIS_TIMEOUT_S
    )
    connection = sync_redis(stack)
    try:
        connection.set(DUE_KEY, 1, ex=3600)
        for alert_key in ALERT_KEYS:  # the alert jobs too (alerts/schedule.py)
            connection.set(alert_key, 1, ex=3600)
    finally:
        connection.close()
    return stack


@pytest.fixture
def stack(stack_settings: Settings) -> Iterator[Stack]:
    running = Stack(stack_settings)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def private_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster of the test's own, which it may restart or crash."""
    server = PostgresServer().init().start()
    try:
        yield server
    finally:
        server.cleanup()
