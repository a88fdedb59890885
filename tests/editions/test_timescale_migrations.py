"""The migrations on the Timescale-licensed edition: real continuous aggregates and policies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from services.cli.migrations import detect_edition, migrate

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

    async def test_rollups_are_hierarchical_realtime_continuous_aggregates(
        self, timescale: asyncpg.Connection
    ) -> None:
        """vitals_hourly aggregates vitals and vitals_daily aggregates vitals_hourly, both real-time."""
        rows = await timescale.fetch(
            "SELECT view_name, materialized_only, view_definition FROM timescaledb_information.continuous_aggregates"
        )
        views = {r["view_name"]: r for r in rows}
        assert set(views) >= {"vitals_hourly", "vitals_daily"}
        assert not views["vitals_hourly"]["materialized_only"]
        assert not views["vitals_daily"]["materialized_only"]
        assert "vitals_hourly" in views["vitals_daily"]["view_definition"]

    async def test_retention_and_compression_policies_exist(
        self, timescale: asyncpg.Connection
    ) -> None:
        """Raw, hourly and daily data have retention policies; raw chunks compress after the accepted window."""
        rows = await timescale.fetch(
            "SELECT hypertable_name, proc_name FROM timescaledb_information.jobs"
        )
        jobs = {(r["proc_name"], r["hypertable_name"]) for r in rows}
        assert ("policy_retention", "vitals") in jobs
        assert ("policy_compression", "vitals") in jobs
        assert sum(1 for proc, _ in jobs if proc == "policy_retention") == 3

    async def test_refresh_policies_exist(self, timescale: asyncpg.Connection) -> None:
        """Both rollups have a continuous-aggregate refresh policy."""
        rows = await timescale.fetch(
            "SELECT hypertable_name, proc_name FROM timescaledb_information.jobs WHERE proc_name = 'policy_refresh_continuous_aggregate'"
        )
        assert len(rows) >= 2

    async def test_rollup_columns_match_the_apache_edition(
        self, timescale: asyncpg.Connection
    ) -> None:
        """The continuous aggregates expose exactly the Apache tables' columns."""
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

    @pytest.mark.parametrize("run", [1, 2])
    async def test_refreshed_rollups_count_every_row(
        self, timescale: asyncpg.Connection, run: int
    ) -> None:
        """After a refresh the hourly and daily rollups count every raw row (twice: the fixture isolates runs)."""
        await insert_rows(timescale, datetime(2026, 1, 5, 10, tzinfo=UTC), 90)
        await refresh(timescale)
        hourly = await timescale.fetch("SELECT bucket, samples FROM vitals_hourly ORDER BY bucket")
        assert [r["samples"] for r in hourly] == [60, 30]
        assert await timescale.fetchval("SELECT sum(samples) FROM vitals_daily") == 90

    async def test_real_time_rollups_include_rows_past_the_watermark(
        self, timescale: asyncpg.Connection
    ) -> None:
        """Rows newer than the last materialised bucket are counted before any refresh."""
        await insert_rows(timescale, datetime(2026, 1, 5, 10, tzinfo=UTC), 10)
        await refresh(timescale)
        fresh = datetime.now(UTC) + timedelta(days=2)
        await insert_rows(timescale, fresh, 5, first_id=10)
        assert await timescale.fetchval("SELECT sum(samples) FROM vitals_hourly") == 15
        assert await timescale.fetchval("SELECT sum(samples) FROM vitals_daily") == 15


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


async def refresh(connection: asyncpg.Connection) -> None:
    await connection.execute("CALL refresh_continuous_aggregate('vitals_hourly', NULL, NULL)")
    await connection.execute("CALL refresh_continuous_aggregate('vitals_daily', NULL, NULL)")
