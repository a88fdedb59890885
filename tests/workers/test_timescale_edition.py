"""The workers on the Timescale-licensed edition (PGlite): the same exact rollups as on the
Apache edition (migration 0009), and late writes into compressed raw chunks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import msgspec
import pytest

from services.cli.migrations import migrate
from services.contracts.database import create_pool
from services.contracts.settings import Settings
from services.workers.batches import process_batch
from services.workers.projects import ProjectDirectory
from services.workers.retention import Retention, apply_retention
from tests.query.seeding import ROLLUP_TABLES, ROLLUPS
from tests.support.pglite import PGliteServer
from tests.workers.conftest import assert_rollups_exact
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
        await connection.execute(
            f"TRUNCATE projects, pages, vitals, {', '.join(ROLLUP_TABLES)} RESTART IDENTITY CASCADE"
        )
        await connection.execute("INSERT INTO projects (slug, name) VALUES ('shop', 'shop')")
    try:
        yield pool
    finally:
        await pool.close()


class TestTimescaleEdition:
    async def test_rollups_are_hypertables_not_continuous_aggregates(
        self, timescale_pool: asyncpg.Pool
    ) -> None:
        """After migration 0009 no continuous aggregate is left: every rollup is a hypertable the workers write."""
        async with timescale_pool.acquire() as connection:
            aggregates = "SELECT count(*) FROM timescaledb_information.continuous_aggregates"
            assert await connection.fetchval(aggregates) == 0
            hypertables = await connection.fetch(
                "SELECT hypertable_name FROM timescaledb_information.hypertables"
            )
            assert {r["hypertable_name"] for r in hypertables} >= set(ROLLUPS)

    async def test_rollups_equal_a_recount_with_replacements(
        self, timescale_pool: asyncpg.Pool
    ) -> None:
        """After page views, a CLS re-report and a re-run batch, every rollup counts each metric id once, at its latest value, with no refresh."""
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
            await process_batch(timescale_pool, ProjectDirectory(), b)
        async with timescale_pool.acquire() as connection:
            assert await connection.fetchval("SELECT count(*) FROM vitals") == 11
            await assert_rollups_exact(connection)  # type: ignore[arg-type]
            cls = await connection.fetch("SELECT bin, samples FROM vitals_hourly WHERE metric = 3")
            assert sum(r["samples"] for r in cls) == 3

    async def test_retention_drops_raw_and_aggregate_chunks(
        self, timescale_pool: asyncpg.Pool
    ) -> None:
        """The retention job works here too: old raw and rollup chunks go, recent data stays."""
        old, recent = now_ms() - 60 * DAY_MS, now_ms() - 60_000
        b = batch(
            accepted(1, beacon(report("LCP", 900), time_origin=old), received_at=old + 1),
            accepted(1, beacon(report("LCP", 900), time_origin=recent), received_at=recent + 1),
        )
        await process_batch(timescale_pool, ProjectDirectory(), b)
        async with timescale_pool.acquire() as connection:
            await apply_retention(
                connection, Retention(raw_days=35, hourly_days=40, daily_days=400)
            )
            counts = await connection.fetchrow(
                "SELECT (SELECT count(*) FROM vitals), (SELECT sum(samples) FROM vitals_hourly),"
                " (SELECT sum(samples) FROM vitals_daily)"
            )
        assert counts is not None and tuple(counts) == (1, 1, 2)


class TestLateWriteIntoCompressedChunk:
    async def test_a_late_re_report_into_a_compressed_day_is_stored_with_the_fresh_reports(
        self, timescale_pool: asyncpg.Pool
    ) -> None:
        """A job retried days later replaces a CLS in a compressed raw chunk; the fresh report beside it is stored, and every rollup stays exact."""
        old, fresh = now_ms() - 5 * DAY_MS, now_ms() - 60_000
        stored_then = accepted(
            1, beacon(report("CLS", 0.02, "cls-old"), time_origin=old), received_at=old + 1
        )
        await process_batch(timescale_pool, ProjectDirectory(), batch(stored_then))
        async with timescale_pool.acquire() as connection:
            compressed = await connection.fetchval(
                "SELECT count(compress_chunk(c)) FROM show_chunks('vitals', older_than => now() - interval '3 days') c"
            )
            assert compressed == 1
        late = batch(
            accepted(
                1, beacon(report("CLS", 0.4, "cls-old"), time_origin=old), received_at=old + 2
            ),
            accepted(
                1, beacon(report("LCP", 900, "lcp-new"), time_origin=fresh), received_at=fresh
            ),
        )
        outcome = await process_batch(timescale_pool, ProjectDirectory(), late)
        assert (outcome.replaced, outcome.stored, outcome.parked) == (1, 1, [])
        async with timescale_pool.acquire() as connection:
            values = await connection.fetch("SELECT metric_id, value FROM vitals ORDER BY 1")
            assert [tuple(r) for r in values] == [("cls-old", 0.4), ("lcp-new", 900.0)]
            await assert_rollups_exact(connection)  # type: ignore[arg-type]
