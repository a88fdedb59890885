"""The migration runner against the real local TimescaleDB (Apache edition)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from services.cli.migrations import (
    DEFAULT_DIRECTORY,
    MigrationError,
    detect_edition,
    discover,
    migrate,
)
from services.contracts.settings import Settings


@pytest.fixture
async def scratch(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """An empty database of its own, so runner tests never touch the suite's schema (named
    after the suite's, so each pytest-xdist worker has its own)."""
    server, _, suite_database = settings.database_url.partition("?")[0].rpartition("/")
    name = f'"{suite_database}_migrations_scratch"'
    admin = await asyncpg.connect(server + "/postgres")
    await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await admin.execute(f"CREATE DATABASE {name}")
    connection = await asyncpg.connect(server + "/" + name.strip('"'))
    try:
        yield connection
    finally:
        await connection.close()
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


def write(directory: Path, name: str, sql: str) -> None:
    (directory / name).write_text(sql)


async def tables(connection: asyncpg.Connection) -> set[str]:
    rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {row["tablename"] for row in rows}


class TestDiscovery:
    def test_orders_by_version_and_picks_the_edition(self, tmp_path: Path) -> None:
        """Files sort by number; an edition file is chosen only for its edition."""
        write(tmp_path, "0002_b.sql", "")
        write(tmp_path, "0001_a.sql", "")
        write(tmp_path, "0003_c.timescale.sql", "")
        write(tmp_path, "0003_c.apache.sql", "")
        assert [m.path.name for m in discover(tmp_path, "apache")] == [
            "0001_a.sql", "0002_b.sql", "0003_c.apache.sql",
        ]  # fmt: skip
        assert discover(tmp_path, "timescale")[-1].path.name == "0003_c.timescale.sql"

    def test_rejects_malformed_names_and_duplicates(self, tmp_path: Path) -> None:
        """A misnamed file or two files for one version are errors, not silently skipped."""
        write(tmp_path, "1_bad.sql", "")
        with pytest.raises(MigrationError, match=r"1_bad\.sql"):
            discover(tmp_path, "apache")
        (tmp_path / "1_bad.sql").unlink()
        write(tmp_path, "0001_a.sql", "")
        write(tmp_path, "0001_b.sql", "")
        with pytest.raises(MigrationError, match="already used"):
            discover(tmp_path, "apache")

    def test_an_include_line_stands_for_the_named_files_text(self, tmp_path: Path) -> None:
        """`-- vitals:include` pastes the other file's SQL in its place; an unknown file is an error naming both."""
        write(tmp_path, "0001_tables.apache.sql", "CREATE TABLE t (x int);\n")
        write(tmp_path, "0001_tables.timescale.sql", "SELECT 1;\n")
        write(
            tmp_path,
            "0002_same.timescale.sql",
            "-- vitals:include 0001_tables.apache.sql\nSELECT 2;\n",
        )
        included = discover(tmp_path, "timescale")[-1]
        assert included.sql == "CREATE TABLE t (x int);\n\nSELECT 2;\n"
        write(tmp_path, "0003_broken.timescale.sql", "-- vitals:include 0099_missing.sql\n")
        with pytest.raises(MigrationError, match=r"0003_broken.*0099_missing"):
            _ = discover(tmp_path, "timescale")[-1].sql

    def test_project_files_cover_both_editions(self) -> None:
        """Every shipped version resolves to exactly one file in each edition."""
        apache = discover(DEFAULT_DIRECTORY, "apache")
        timescale = discover(DEFAULT_DIRECTORY, "timescale")
        assert [m.version for m in apache] == [m.version for m in timescale]
        assert any(m.edition == "timescale" and not m.transactional for m in timescale)


class TestRunner:
    async def test_applies_in_order_and_records(
        self, scratch: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """Pending files apply in version order and are recorded in schema_migrations."""
        write(tmp_path, "0001_a.sql", "CREATE TABLE a (id int PRIMARY KEY);")
        write(tmp_path, "0002_b.sql", "CREATE TABLE b (id int REFERENCES a (id));")
        applied = await migrate(scratch, tmp_path)
        assert [m.version for m in applied] == ["0001", "0002"]
        rows = await scratch.fetch(
            "SELECT version, edition FROM schema_migrations ORDER BY version"
        )
        assert [(r["version"], r["edition"]) for r in rows] == [("0001", None), ("0002", None)]

    async def test_is_idempotent(self, scratch: asyncpg.Connection, tmp_path: Path) -> None:
        """A second run applies nothing and changes nothing."""
        write(tmp_path, "0001_a.sql", "CREATE TABLE a (id int);")
        await migrate(scratch, tmp_path)
        assert await migrate(scratch, tmp_path) == []
        assert await scratch.fetchval("SELECT count(*) FROM schema_migrations") == 1

    async def test_failing_file_leaves_nothing_half_applied(
        self, scratch: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """A file that fails mid-way is rolled back whole and the error names it."""
        write(tmp_path, "0001_a.sql", "CREATE TABLE a (id int);")
        write(tmp_path, "0002_b.sql", "CREATE TABLE b (id int);\nSELECT no_such_function();")
        with pytest.raises(MigrationError, match=r"0002_b\.sql failed: UndefinedFunctionError"):
            await migrate(scratch, tmp_path)
        assert "b" not in await tables(scratch)
        assert await scratch.fetchval("SELECT max(version) FROM schema_migrations") == "0001"

    async def test_a_file_chosen_as_a_deadlocks_victim_runs_again(
        self, settings: Settings, scratch: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """A transactional file that PostgreSQL aborts to break a deadlock (as TimescaleDB's job scheduler can cause) is run again once the other session is through, and recorded once."""
        await scratch.execute("CREATE TABLE a (id int); CREATE TABLE b (id int)")
        write(
            tmp_path,
            "0001_both.sql",
            "LOCK a; SELECT pg_sleep(0.5); LOCK b; INSERT INTO b VALUES (1);",
        )
        server = settings.database_url.partition("?")[0].rpartition("/")[0]
        database = await scratch.fetchval("SELECT current_database()")
        other = await asyncpg.connect(f"{server}/{database}")
        try:
            # The other session waits long before it checks for deadlocks: the file's is the
            # session that finds the cycle, and is aborted.
            await other.execute("SET deadlock_timeout = '30s'")
            await scratch.execute("SET deadlock_timeout = '100ms'")
            transaction = other.transaction()
            await transaction.start()
            await other.execute("LOCK b")
            migrating = asyncio.create_task(migrate(scratch, tmp_path))
            await asyncio.sleep(0.2)  # the file holds a, and sleeps before asking for b
            await other.execute("LOCK a")  # granted once the file's first run is rolled back
            await other.execute("INSERT INTO a VALUES (1)")
            await transaction.commit()
            applied = await asyncio.wait_for(migrating, 30)
        finally:
            await other.close()
        assert [m.version for m in applied] == ["0001"]
        assert await scratch.fetchval("SELECT count(*) FROM b") == 1
        assert await scratch.fetchval("SELECT count(*) FROM schema_migrations") == 1

    async def test_no_transaction_file_runs_outside_a_transaction(
        self, scratch: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """A file marked no-transaction may run statements PostgreSQL forbids in one."""
        write(tmp_path, "0001_a.sql", "CREATE TABLE a (id int);")
        write(
            tmp_path,
            "0002_index.sql",
            "-- vitals:no-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);\nSELECT 1;",
        )
        await migrate(scratch, tmp_path)
        assert (
            await scratch.fetchval("SELECT count(*) FROM pg_indexes WHERE indexname = 'a_id'") == 1
        )

    async def test_unmarked_file_cannot_do_that(
        self, scratch: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """The same statement without the mark fails: the runner really uses a transaction."""
        write(
            tmp_path,
            "0001_a.sql",
            "CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY a_id ON a (id);",
        )
        with pytest.raises(MigrationError, match=r"0001_a\.sql"):
            await migrate(scratch, tmp_path)
        assert "a" not in await tables(scratch)

    async def test_edited_applied_file_is_refused(
        self, scratch: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """Changing a file after it was applied is an error: history is append-only."""
        write(tmp_path, "0001_a.sql", "CREATE TABLE a (id int);")
        await migrate(scratch, tmp_path)
        write(tmp_path, "0001_a.sql", "CREATE TABLE a (id bigint);")
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(scratch, tmp_path)

    @pytest.mark.apache_edition
    async def test_chooses_the_apache_edition_here(
        self, scratch: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """On Debian's Apache-licensed build the apache files are the ones applied."""
        assert await detect_edition(scratch) == "apache"
        write(tmp_path, "0001_r.apache.sql", "CREATE TABLE apache_only (id int);")
        write(tmp_path, "0001_r.timescale.sql", "CREATE TABLE timescale_only (id int);")
        await migrate(scratch, tmp_path)
        assert {"apache_only"} <= await tables(scratch)
        assert "timescale_only" not in await tables(scratch)


class TestProjectSchema:
    @pytest.mark.apache_edition
    async def test_project_migrations_build_the_schema(self, db: asyncpg.Connection) -> None:
        """The real migrations create the tables, the hypertables and the reader role."""
        names = await tables(db)
        assert {
            "projects",
            "ingest_keys",
            "users",
            "pages",
            "vitals",
            "vitals_hourly",
            "vitals_daily",
        } <= names
        hypertables = {
            r["hypertable_name"]
            for r in await db.fetch(
                "SELECT hypertable_name FROM timescaledb_information.hypertables"
            )
        }
        assert {"vitals", "vitals_hourly", "vitals_daily"} <= hypertables

    async def test_rollup_columns_are_the_same_in_both_editions(
        self, db: asyncpg.Connection
    ) -> None:
        """The Apache rollup tables have exactly the continuous aggregates' columns."""
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
        for relation in ("vitals_hourly", "vitals_daily"):
            rows = await db.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
                relation,
            )
            assert [r["column_name"] for r in rows] == expected

    async def test_reader_role_can_read_but_not_write(self, db: asyncpg.Connection) -> None:
        """The query service's role sees the data and is refused any write."""
        await db.execute("INSERT INTO projects (slug, name) VALUES ('p', 'P')")
        async with db.transaction():
            await db.execute("SET LOCAL ROLE vitals_reader")
            assert await db.fetchval("SELECT count(*) FROM projects") == 1
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                async with db.transaction():
                    await db.execute("INSERT INTO projects (slug, name) VALUES ('q', 'Q')")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                async with db.transaction():
                    await db.execute("SELECT key_hash FROM ingest_keys")
