"""Shared fixtures: a real TimescaleDB test database and a real Redis database per run.

The URLs come from the environment `make test` prepares (.local/env); the suite works on
its own database (`<name>_test`) and Redis db 15, never on the ones `make run` uses.
Under pytest-xdist (`make test` runs two processes) worker N gets `<name>_test_gwN` and
Redis db 15 - N, so the processes never empty each other's data.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
import redis.asyncio

from services.contracts.settings import Settings
from tests.support.cli import vitals
from tests.support.migrations import migrate
from tests.support.ops import OPS_TOKEN
from tests.support.processes import RedisServer

TEST_REDIS_DB = 15
TEST_JWT_SECRET = "test-secret-that-is-long-enough-for-hs256!"
TRUNCATE_ALL = """
TRUNCATE projects, ingest_keys, users, user_projects, pages, vitals, vitals_hourly, vitals_daily,
    vitals_totals_hourly, vitals_totals_daily, vitals_device_hourly, vitals_device_daily,
    vitals_route_hourly, vitals_route_daily, vitals_client_hourly, vitals_client_daily,
    vitals_release_routes
RESTART IDENTITY CASCADE
"""


def _with_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + (("?" + query) if query else "")


def _database_name(url: str) -> str:
    return url.partition("?")[0].rsplit("/", 1)[1]


def _xdist_worker() -> tuple[str, int]:
    """The name suffix and number of this pytest-xdist worker: ("", 0) when run alone."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, ...
    return (f"_{worker}", int(worker.removeprefix("gw"))) if worker else ("", 0)


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    try:
        database_url = os.environ["VITALS_DATABASE_URL"]
        redis_url = os.environ["VITALS_REDIS_URL"]
    except KeyError as exc:
        pytest.exit(f"{exc.args[0]} is not set: run the suite with `make test`", returncode=2)
    # Overridable so two suites on one machine (say, two checkouts) do not drop each
    # other's database mid-run.
    suffix, number = _xdist_worker()
    test_database = (
        os.environ.get("VITALS_TEST_DATABASE") or _database_name(database_url) + "_test"
    ) + suffix
    redis_db = int(os.environ.get("VITALS_TEST_REDIS_DB") or TEST_REDIS_DB) - number
    return Settings(
        database_url=_with_database(database_url, test_database),
        redis_url=redis_url.rsplit("/", 1)[0] + f"/{redis_db}",
        jwt_secret=TEST_JWT_SECRET,
        ops_token=OPS_TOKEN,
    )


@pytest.fixture(scope="session")
async def settings(base_settings: Settings) -> Settings:
    """Settings for a freshly created and migrated test database."""
    name = _database_name(base_settings.database_url)
    admin = await asyncpg.connect(_with_database(base_settings.database_url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    connection = await asyncpg.connect(base_settings.database_url)
    try:
        await migrate(connection)
    finally:
        await connection.close()
    return base_settings


@pytest.fixture(scope="session")
async def database_edition(settings: Settings) -> str:
    """`apache` or `timescale`: which TimescaleDB the test database runs (`make test` runs the
    Apache edition; `VITALS_EDITION=timescale make test` the Timescale-licensed one)."""
    connection = await asyncpg.connect(settings.database_url)
    try:
        license_name: str = await connection.fetchval("SHOW timescaledb.license")
    finally:
        await connection.close()
    return license_name


@pytest.fixture(autouse=True)
def _apache_edition_only(request: pytest.FixtureRequest) -> None:
    """Tests marked `apache_edition` drive the Apache edition's own code (the workers'
    rollup tables, its migrations): on a Timescale-edition database there is nothing for
    them to test (tests/*/test_timescale_edition.py cover that edition)."""
    if request.node.get_closest_marker("apache_edition") is None:
        return
    # Synchronous on purpose: pytest-asyncio resolves an async fixture requested here on
    # its loop, which it cannot do from inside a coroutine already running on it.
    if request.getfixturevalue("database_edition") != "apache":
        pytest.skip("the Apache edition's own behaviour; the database runs the Timescale edition")


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the test database, emptied before the test."""
    connection = await asyncpg.connect(settings.database_url)
    await connection.execute(TRUNCATE_ALL)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def redis_client(settings: Settings) -> AsyncIterator[redis.asyncio.Redis]:
    """The test Redis database, flushed before the test."""
    client = redis.asyncio.Redis.from_url(settings.redis_url)
    await client.flushdb()
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    """A Redis server of the test's own, which it may stop or kill."""
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def cli(settings: Settings, db: asyncpg.Connection, redis_client: redis.asyncio.Redis):  # type: ignore[no-untyped-def]
    """The `vitals` command as a real process, bound to a clean database and registry."""
    return lambda *args, check=True: vitals(settings, *args, check=check)
