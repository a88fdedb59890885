"""Fixtures for the worker tests: a pool like a worker's, and the rollup recount check."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.contracts.database import create_pool
from services.contracts.settings import Settings

RAW_RECOUNT = """
SELECT time_bucket(INTERVAL '{width}', time) AS bucket, project_id, metric, page_id, device,
       rating, bin, count(*) AS samples
FROM vitals GROUP BY 1, 2, 3, 4, 5, 6, 7
"""
ROLLUP = "SELECT bucket, project_id, metric, page_id, device, rating, bin, samples FROM {table}"


@pytest.fixture
async def pool(settings: Settings, db: asyncpg.Connection) -> AsyncIterator[asyncpg.Pool]:
    """A worker-sized pool on the emptied test database."""
    pool = await create_pool(settings, "workers-test", min_size=0, max_size=8)
    try:
        yield pool
    finally:
        await pool.close()


async def rollup_rows(db: asyncpg.Connection, table: str) -> set[tuple[object, ...]]:
    return {tuple(r) for r in await db.fetch(ROLLUP.format(table=table))}


async def recount(db: asyncpg.Connection, width: str) -> set[tuple[object, ...]]:
    return {tuple(r) for r in await db.fetch(RAW_RECOUNT.format(width=width))}


async def assert_rollups_exact(db: asyncpg.Connection) -> None:
    """vitals_hourly and vitals_daily hold exactly a recount of the raw rows (no zero rows)."""
    assert await rollup_rows(db, "vitals_hourly") == await recount(db, "1 hour")
    assert await rollup_rows(db, "vitals_daily") == await recount(db, "1 day")
