"""Fixtures for the Timescale-licensed edition (PGlite); see tests/support/pglite.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from services.cli.migrations import migrate
from tests.query.seeding import ROLLUP_TABLES
from tests.support.pglite import PGliteServer


@pytest.fixture(scope="session")
def pglite() -> Iterator[PGliteServer]:
    server = PGliteServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def timescale_migrated(pglite: PGliteServer) -> list[str]:
    """The project's migrations applied once to the Timescale edition; names applied."""
    connection = await pglite.connect()
    try:
        return [m.path.name for m in await migrate(connection)]
    finally:
        await connection.close()


@pytest.fixture
async def timescale(
    pglite: PGliteServer, timescale_migrated: list[str]
) -> AsyncIterator[asyncpg.Connection]:
    """The one connection PGlite serves, on a migrated schema emptied before the test."""
    connection = await pglite.connect()
    await connection.execute(
        f"TRUNCATE projects, ingest_keys, users, user_projects, pages, vitals, {', '.join(ROLLUP_TABLES)} RESTART IDENTITY CASCADE"
    )
    try:
        yield connection
    finally:
        await connection.close()
