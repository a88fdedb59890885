"""The workers on the Timescale-licensed edition (PGlite): raw writes only, and the
continuous aggregates then equal a recount from raw, replaced values counted once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import msgspec
import pytest

from services.cli.migrations import migrate
from services.contracts.database import create_pool
from services.contracts.settings import Settings
from services.workers.batches import process_batch
from services.workers.edition import Edition, detect_edition
from services.workers.projects import ProjectDirectory
from services.workers.retention import Retention, apply_retention
from tests.support.pglite import PGliteServer
from tests.workers.conftest import recount, rollup_rows
from tests.workers.factories import accepted, batch, beacon, now_ms, page_view, report

DAY_MS = 86_400_000

pytestmark = pytest.mark.pglite


@pytest.fixture(scope="module")
def pglite() -> Iterator[PGliteServer]:
    server = PGliteServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def timescale_pool(pglite: PGliteServer, settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    """A one-connection pool on a migrated, emptied PGlite: it serves one client at a time."""
    url = f"postgresql://postgres:x@127.0.0.1:{pglite.port}/postgres?sslmode=disable"
    pool = await create_pool(
        msgspec.structs.replace(settings, database_url=url), "workers-test", min_size=0, max_size=1
    )
    async with pool.acquire() as connection:
        await migrate(connection)  # type: ignore[arg-type]
        await connection.execute("TRUNCATE projects, pages, vitals RESTART IDENTITY CASCADE")
        await connection.execute("INSERT INTO projects (slug, name) VALUES ('shop', 'shop')")
    try:
        yield pool
    finally:
        await pool.close()


async def refresh(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as connection:
        await connection.execute("CALL refresh_continuous_aggregate('vitals_hourly', NULL, NULL)")
        await connection.execute("CALL refresh_continuous_aggregate('vitals_daily', NULL, NULL)")


class TestTimescaleEdition:
    async def test_edition_is_detected(self, timescale_pool: asyncpg.Pool) -> None:
        """The workers see continuous aggregates on PGlite's TimescaleDB and so leave rollups alone."""
        async with timescale_pool.acquire() as connection:
            assert await detect_edition(connection) is Edition.TIMESCALE

    async def test_continuous_aggregates_equal_a_recount_with_replacements(
        self, timescale_pool: asyncpg.Pool
    ) -> None:
        """After page views, a CLS re-report and a re-run batch, the refreshed aggregates count each metric id once, at its latest value."""
        origin = now_ms() - 3_600_000
        first = batch(
            page_view(1),
            page_view(1, lcp=5200),
            accepted(
                1, beacon(report("CLS", 0.02, "cls-1"), time_origin=origin), received_at=origin + 1
            ),
        )
        later = batch(
            accepted(
                1, beacon(report("CLS", 0.4, "cls-1"), time_origin=origin), received_at=origin + 2
            )
        )
        for b in (first, later, first):
            await process_batch(timescale_pool, Edition.TIMESCALE, ProjectDirectory(), b)
        await refresh(timescale_pool)
        async with timescale_pool.acquire() as connection:
            assert await connection.fetchval("SELECT count(*) FROM vitals") == 11
            hourly = await rollup_rows(connection, "vitals_hourly")  # type: ignore[arg-type]
            assert hourly == await recount(connection, "1 hour")  # type: ignore[arg-type]
            daily = await rollup_rows(connection, "vitals_daily")  # type: ignore[arg-type]
            assert daily == await recount(connection, "1 day")  # type: ignore[arg-type]
            cls = await connection.fetch("SELECT bin, samples FROM vitals_hourly WHERE metric = 3")
            assert sum(r["samples"] for r in cls) == 3

    async def test_retention_drops_raw_and_aggregate_chunks(
        self, timescale_pool: asyncpg.Pool
    ) -> None:
        """The retention job works here too: drop_chunks takes the continuous aggregates, and recent data stays."""
        old, recent = now_ms() - 60 * DAY_MS, now_ms() - 60_000
        b = batch(
            accepted(1, beacon(report("LCP", 900), time_origin=old), received_at=old + 1),
            accepted(1, beacon(report("LCP", 900), time_origin=recent), received_at=recent + 1),
        )
        await process_batch(timescale_pool, Edition.TIMESCALE, ProjectDirectory(), b)
        await refresh(timescale_pool)
        async with timescale_pool.acquire() as connection:
            await apply_retention(
                connection, Retention(raw_days=35, hourly_days=40, daily_days=400)
            )
            counts = await connection.fetchrow(
                "SELECT (SELECT count(*) FROM vitals), (SELECT sum(samples) FROM vitals_hourly),"
                " (SELECT sum(samples) FROM vitals_daily)"
            )
        assert counts is not None and tuple(counts) == (1, 1, 2)
