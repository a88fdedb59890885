"""Fixtures: the primary and its standby, the stack writing to the primary, and the two
query services (one on the standby, one on the primary), each stopped when a test ends."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import msgspec
import pytest

from services.contracts.settings import Settings
from tests.e2e.replica.views import query_service, replica_dsn
from tests.e2e.stack import Stack, drain, open_project
from tests.e2e.traffic import Traffic
from tests.support.postgres import PostgresServer
from tests.support.processes import ServiceProcess
from tests.support.standby import StandbyServer

DATABASE = "vitals"
PAGE_VIEWS = 60
# Short, so a paused replay crosses it within seconds; well above the recheck pause.
MAX_LAG_S = 2.0
REPLICA_CACHE_DB, PRIMARY_CACHE_DB = 1, 2  # the workers' data versions are in db 0


@pytest.fixture
async def standby(private_postgres: PostgresServer) -> AsyncIterator[StandbyServer]:
    server = StandbyServer(private_postgres).init().start()
    try:
        await server.wait_streaming()
        yield server
    finally:
        server.cleanup()


@pytest.fixture
async def primary_settings(
    stack_settings: Settings, private_postgres: PostgresServer, standby: StandbyServer
) -> Settings:
    """The stack on the private primary, migrated (the standby replays the migrations)."""
    url = await private_postgres.create_migrated_database(DATABASE)
    return msgspec.structs.replace(
        stack_settings, database_url=url, query_max_replica_lag_s=MAX_LAG_S
    )


@pytest.fixture
async def written(primary_settings: Settings) -> AsyncIterator[tuple[Stack, Traffic, int]]:
    """Ingest and a worker running on the primary, a project, and its first page views stored."""
    db = await asyncpg.connect(primary_settings.database_url)
    stack = Stack(primary_settings)
    traffic: Traffic | None = None
    try:
        project_id, key = await open_project(db, primary_settings, "shop")
        stack.start("only")
        traffic = Traffic(stack.ingest.url, {project_id: key}, seed=16)
        await traffic.page_views(PAGE_VIEWS, concurrency=4)
        await drain(primary_settings)
        yield stack, traffic, project_id
    finally:
        if traffic is not None:
            await traffic.aclose()
        stack.stop()
        await db.close()


@pytest.fixture
async def on_replica(
    primary_settings: Settings, standby: StandbyServer
) -> AsyncIterator[ServiceProcess]:
    service = query_service("query-replica", primary_settings, cache_db=REPLICA_CACHE_DB,
                            reads=replica_dsn(standby, DATABASE))  # fmt: skip
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
async def on_primary(primary_settings: Settings) -> AsyncIterator[ServiceProcess]:
    service = query_service("query-primary", primary_settings, cache_db=PRIMARY_CACHE_DB)
    try:
        yield service
    finally:
        service.stop()
