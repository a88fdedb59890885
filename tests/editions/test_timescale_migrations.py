"""The migrations on the Timescale-licensed edition: the Apache edition's rollup tables
(since 0009), compression and a retention policy on raw rows."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from services.cli.migrations import DEFAULT_DIRECTORY, detect_edition, discover, migrate
from tests.support.pglite import PGliteServer

pytestmark = pytest.mark.pglite


class TestTimescaleEdition:
    async def test_edition_is_detected(self, timescale: asyncpg.Connection) -> None:
        """PGlite's TimescaleDB reports the Timescale license, so its files are chosen."""
        assert await detect_edition(timescale) == "timescale"

    async def test_edition_files_were_applied(
        self, timescale_migrated: list[str], timescale: asyncpg.Connection
    ) -> None:
        """The timescale rollup file ran, and the ledger records its edition."""
        assert "0003_rollups.timescale.sql" in timescale_migrated
        assert "0003_rollups.apache.sql" not in timescale_migrated
        edition = await timescale.fetchval(
            "SELECT edition FROM schema_migrations WHERE version = '0003'"
        )
        assert edition == "timescale"

    async def test_rerun_is_idempotent(self, timescale: asyncpg.Connection) -> None:
        """Migrating again applies nothing."""
        assert await migrate(timescale) == []

    async def test_rollups_are_the_apache_editions_hypertables(
        self, timescale: asyncpg.Connection
    ) -> None:
        """After 0009 no continuous aggregate or refresh policy is left: every rollup is a hypertable with the Apache edition's primary key."""
        aggregates = "SELECT count(*) FROM timescaledb_information.continuous_aggregates"
        assert await timescale.fetchval(aggregates) == 0
        refreshes = "SELECT count(*) FROM timescaledb_information.jobs WHERE proc_name = 'policy_refresh_continuous_aggregate'"
        assert await timescale.fetchval(refreshes) == 0
        key = await timescale.fetchval(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'vitals_totals_hourly'::regclass AND contype = 'p'"
        )
        assert key == "PRIMARY KEY (project_id, metric, bucket, bin, rating) INCLUDE (samples)"

    async def test_retention_and_compression_policies_exist(
        self, timescale: asyncpg.Connection
    ) -> None:
        """Raw rows keep their retention policy and compress after the accepted window; rollups are left to the workers' retention job."""
        rows = await timescale.fetch(
            "SELECT hypertable_name, proc_name FROM timescaledb_information.jobs"
        )
        jobs = {(r["proc_name"], r["hypertable_name"]) for r in rows}
        assert ("policy_retention", "vitals") in jobs
        assert ("policy_compression", "vitals") in jobs
        assert sum(1 for proc, _ in jobs if proc == "policy_retention") == 1

    async def test_rollup_columns_match_the_apache_edition(
        self, timescale: asyncpg.Connection
    ) -> None:
        """The rollups have exactly the Apache tables' columns."""
        expected = [
            "bucket",
            "project_id",
            "metric",
            "page_id",
            "device",
            "rating",
            "bin",
            "samples",
        ]
        for view in ("vitals_hourly", "vitals_daily"):
            rows = await timescale.fetch(
                "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                view,
            )
            assert [r["attname"] for r in rows] == expected

    async def test_what_the_aggregates_held_survives_the_conversion(
        self, pglite: PGliteServer, tmp_path: Path
    ) -> None:
        """A database migrated up to 0008 with refreshed aggregates keeps every rollup count through 0009, the unmaterialised tail included."""
        connection = await pglite.connect()
        try:  # in a schema of its own: the session's migrated one stays as it is
            await connection.execute(
                "CREATE SCHEMA before_0009; SET search_path = before_0009, public"
            )
            for migration in discover(DEFAULT_DIRECTORY, "timescale"):
                if migration.version < "0009":
                    shutil.copy(migration.path, tmp_path)
            await migrate(connection, tmp_path)
            await insert_rows(connection, datetime(2026, 1, 5, 10, tzinfo=UTC), 90)
            await connection.execute(
                "CALL refresh_continuous_aggregate('vitals_hourly', NULL, NULL)"
            )
            await insert_rows(connection, datetime.now(UTC) - timedelta(hours=2), 5, first_id=90)
            applied = await migrate(connection)
            assert applied[0].version == "0009"
            hourly = await connection.fetch(
                "SELECT bucket, samples FROM vitals_hourly ORDER BY bucket"
            )
            assert [r["samples"] for r in hourly][:2] == [60, 30]
            assert sum(r["samples"] for r in hourly) == 95
            assert await connection.fetchval("SELECT sum(samples) FROM vitals_totals_daily") == 95
        finally:
            await connection.execute("DROP SCHEMA before_0009 CASCADE; RESET search_path")
            await connection.close()


async def insert_rows(
    connection: asyncpg.Connection, start: datetime, count: int, first_id: int = 0
) -> None:
    await connection.execute(
        "INSERT INTO projects (slug, name) VALUES ('p', 'P') ON CONFLICT DO NOTHING"
    )
    await connection.execute(
        "INSERT INTO pages (project_id, host, path, route) VALUES (1, 'h', '/', '/') ON CONFLICT DO NOTHING"
    )
    rows = [
        (1, start + timedelta(minutes=i), f"id-{first_id + i}", 1, 1000.0 + i, 0, 349, 1, 1)
        for i in range(count)
    ]
    await connection.copy_records_to_table(
        "vitals", records=rows,
        columns=["project_id", "time", "metric_id", "metric", "value", "rating", "bin", "page_id", "device"],
    )  # fmt: skip
