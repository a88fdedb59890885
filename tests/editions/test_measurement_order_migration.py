"""Migration 0010 (`vitals.seq`) on a database that already holds raw rows: on the Timescale
edition some of them in compressed chunks, which must stay compressed and read seq 0."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from services.cli.migrations import DEFAULT_DIRECTORY, migrate
from services.contracts.settings import Settings
from tests.support.pglite import PGliteServer

SCHEMA = "before_0010"  # the session's migrated schema (public) stays as it is
COMPRESSED = """
SELECT chunk_name FROM timescaledb_information.chunks
WHERE hypertable_schema = $1 AND hypertable_name = 'vitals' AND is_compressed
ORDER BY 1
"""


async def migrated_before_0010(connection: asyncpg.Connection, directory: Path) -> None:
    """The schema as 0001-0008 leave it, in a schema of its own. 0009 is left out: on a new
    database TimescaleDB's scheduler starts the continuous aggregates' refresh jobs at
    once, and 0009 dropping those aggregates meanwhile deadlocked with one of them (seen
    once on the native build). 0010 touches only `vitals`, which 0009 leaves as it is."""
    await connection.execute(f"CREATE SCHEMA {SCHEMA}; SET search_path = {SCHEMA}, public")
    for path in DEFAULT_DIRECTORY.glob("*.sql"):  # both editions': files include others'
        if path.name < "0009":
            shutil.copy(path, directory)
    await migrate(connection, directory)


async def insert_rows(connection: asyncpg.Connection, start: datetime, count: int) -> None:
    """`count` LCP rows ten minutes apart from `start`, written before `seq` existed."""
    await connection.execute("INSERT INTO projects (slug, name) VALUES ('p', 'P')")
    await connection.execute(
        "INSERT INTO pages (project_id, host, path, route) VALUES (1, 'h', '/', '/')"
    )
    rows = [
        (1, start + timedelta(minutes=10 * i), f"id-{i}", 1, 1000.0 + i, 0, 349, 1, 1)
        for i in range(count)
    ]
    await connection.copy_records_to_table(
        "vitals", schema_name=SCHEMA, records=rows,
        columns=["project_id", "time", "metric_id", "metric", "value", "rating", "bin", "page_id", "device"],
    )  # fmt: skip


async def check_0010(connection: asyncpg.Connection, directory: Path, *, compress: bool) -> None:
    """Rows from before 0010 (compressed ones too) read seq 0 after it, compressed chunks
    stay compressed, and a row written without seq gets 0."""
    try:
        await migrated_before_0010(connection, directory)
        # 400 rows over ~2.8 days ending 10 days ago: three or four daily chunks.
        await insert_rows(connection, datetime.now(UTC) - timedelta(days=13), 400)
        if compress:
            await connection.execute(
                "SELECT compress_chunk(c, if_not_compressed => true) FROM show_chunks('vitals') c"
            )
        compressed = [r["chunk_name"] for r in await connection.fetch(COMPRESSED, SCHEMA)]
        assert bool(compressed) == compress
        shutil.copy(DEFAULT_DIRECTORY / "0010_measurement_order.sql", directory)
        assert [m.version for m in await migrate(connection, directory)] == ["0010"]
        seqs = await connection.fetch("SELECT seq, count(*) FROM vitals GROUP BY seq")
        assert [tuple(r) for r in seqs] == [(0, 400)]
        assert [r["chunk_name"] for r in await connection.fetch(COMPRESSED, SCHEMA)] == compressed
        await connection.execute(
            "INSERT INTO vitals (project_id, time, metric_id, metric, value, rating, bin, page_id, device)"
            " VALUES (1, now(), 'new', 1, 900, 0, 340, 1, 1)"
        )
        assert await connection.fetchval("SELECT seq FROM vitals WHERE metric_id = 'new'") == 0
    finally:
        await connection.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; RESET search_path")


class TestMeasurementOrderMigration:
    @pytest.fixture
    async def test_database(self, settings: Settings) -> AsyncIterator[asyncpg.Connection]:
        connection = await asyncpg.connect(settings.database_url)
        try:
            yield connection
        finally:
            await connection.close()

    async def test_on_the_test_database(
        self, test_database: asyncpg.Connection, database_edition: str, tmp_path: Path
    ) -> None:
        """On the test database's edition (`make test`: Apache; VITALS_EDITION=timescale: the native Timescale build, with raw chunks compressed first), 0010 gives every earlier row seq 0 without touching compression."""
        await check_0010(test_database, tmp_path, compress=database_edition == "timescale")

    @pytest.mark.pglite
    async def test_on_pglite_with_compressed_chunks(
        self, pglite: PGliteServer, timescale_migrated: list[str], tmp_path: Path
    ) -> None:
        """On PGlite's Timescale-licensed TimescaleDB, 0010 applies to a hypertable whose chunks are compressed, and they stay compressed."""
        connection = await pglite.connect()
        try:
            await check_0010(connection, tmp_path, compress=True)
        finally:
            await connection.close()
