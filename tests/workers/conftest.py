"""Fixtures for the worker tests: a pool like a worker's, a quiet Redis, and the rollup
recount check."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
import redis.asyncio

from services.contracts.database import create_pool
from services.contracts.settings import Settings
from services.workers.alerts.schedule import KEYS as ALERT_KEYS
from services.workers.retention import DUE_KEY

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


@pytest.fixture
async def quiet_redis(redis_client: redis.asyncio.Redis) -> redis.asyncio.Redis:
    """The flushed test Redis, with the hourly retention job marked done so it stays out of the way."""
    await redis_client.set(DUE_KEY, 1, ex=3600)
    for alert_key in ALERT_KEYS:  # the alert jobs too (alerts/schedule.py)
        await redis_client.set(alert_key, 1, ex=3600)
    return redis_client


async def rollup_rows(db: asyncpg.Connection, table: str) -> set[tuple[object, ...]]:
    return {tuple(r) for r in await db.fetch(ROLLUP.format(table=table))}


async def recount(db: asyncpg.Connection, width: str) -> set[tuple[object, ...]]:
    return {tuple(r) for r in await db.fetch(RAW_RECOUNT.format(width=width))}


# Each page-less family (migrations 0006, 0013) as a recount from raw: (table stem, its
# keys as (the raw rows' expression, the rollup's column)).
FAMILY_KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "vitals_totals": (),
    "vitals_device": (("v.device", "device"),),
    "vitals_route": (("p.route", "route"), ("v.device", "device"),
                     ("coalesce(v.release, '')", "release")),
    "vitals_client": (("v.device", "device"), ("v.browser", "browser"),
                      ("v.country", "country")),
}  # fmt: skip
FAMILY_RECOUNT = """
SELECT time_bucket(INTERVAL '{width}', v.time), v.project_id, v.metric, {keys} v.rating, v.bin,
       count(*)
FROM vitals v JOIN pages p ON p.id = v.page_id
GROUP BY 1, 2, 3, {keys} v.rating, v.bin
"""
FAMILY_ROWS = "SELECT bucket, project_id, metric, {keys} rating, bin, samples FROM {table}"
# The release comparison's rollup (0016): page views that name a release, with no time.
RELEASE_RECOUNT = """
SELECT v.project_id, v.release, v.metric, p.route, v.device, v.bin, v.rating, count(*)
FROM vitals v JOIN pages p ON p.id = v.page_id
WHERE v.release IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7
"""
RELEASE_ROWS = """
SELECT project_id, release, metric, route, device, bin, rating, samples FROM vitals_release_routes
"""


async def assert_rollups_exact(db: asyncpg.Connection) -> None:
    """Every rollup table holds exactly a recount of the raw rows (no zero rows)."""
    assert await rollup_rows(db, "vitals_hourly") == await recount(db, "1 hour")
    assert await rollup_rows(db, "vitals_daily") == await recount(db, "1 day")
    for stem, keys in FAMILY_KEYS.items():
        recount_keys = "".join(f"{raw}, " for raw, _ in keys)
        table_keys = "".join(f"{column}, " for _, column in keys)
        for suffix, width in (("hourly", "1 hour"), ("daily", "1 day")):
            expected = {
                tuple(r)
                for r in await db.fetch(FAMILY_RECOUNT.format(width=width, keys=recount_keys))
            }
            table = f"{stem}_{suffix}"
            held = {
                tuple(r) for r in await db.fetch(FAMILY_ROWS.format(keys=table_keys, table=table))
            }
            assert held == expected, table
    expected = {tuple(r) for r in await db.fetch(RELEASE_RECOUNT)}
    assert {tuple(r) for r in await db.fetch(RELEASE_ROWS)} == expected, "vitals_release_routes"
