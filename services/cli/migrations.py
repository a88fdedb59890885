"""A small migration runner: numbered plain-SQL files, applied in order, recorded in
`schema_migrations`, one transaction per file unless the file says otherwise.

File names: `NNNN_name.sql` for both editions, `NNNN_name.timescale.sql` or
`NNNN_name.apache.sql` for one TimescaleDB edition (chosen by `SHOW timescaledb.license`).
A file whose first line contains `vitals:no-transaction` runs statement by statement
outside a transaction (continuous aggregates require it); such files must be written
idempotently (IF NOT EXISTS), since a failure part-way cannot be rolled back.

A line `-- vitals:include NNNN_other.sql` stands for that file's text (same folder, one
level deep): an edition catching up with the other's schema says so instead of
restating its DDL, and the two cannot drift apart.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Literal

import asyncpg
import msgspec
import structlog

from services.cli.sql_split import split_statements

Edition = Literal["timescale", "apache"]
EDITIONS: tuple[Edition, ...] = ("timescale", "apache")
NO_TRANSACTION_MARK = "vitals:no-transaction"
_INCLUDE = re.compile(r"^-- vitals:include (?P<name>\S+\.sql)[ \t]*$", re.MULTILINE)
DEFAULT_DIRECTORY = Path(__file__).resolve().parents[2] / "migrations"
# Any constant works; it only has to be the same in every process that migrates.
ADVISORY_LOCK_ID = 7_242_001
# Runs of a transactional file PostgreSQL may abort as a deadlock's victim (_apply_in_transaction).
DEADLOCK_ATTEMPTS = 3

log = structlog.get_logger()

_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)(?:\.(?P<edition>[a-z]+))?\.sql$")


class MigrationError(Exception):
    """A migration file is malformed or failed to apply; the message names it."""


class Migration(msgspec.Struct, frozen=True):
    version: str
    name: str
    edition: Edition | None
    path: Path

    @property
    def sql(self) -> str:
        return _INCLUDE.sub(self._included, self.path.read_text())

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    def _included(self, line: re.Match[str]) -> str:
        included = self.path.parent / line["name"]
        if not _FILE_NAME.match(line["name"]) or not included.is_file():
            raise MigrationError(f"{self.path.name}: cannot include {line['name']}")
        return included.read_text()

    @property
    def transactional(self) -> bool:
        first_line = self.sql.split("\n", 1)[0]
        return NO_TRANSACTION_MARK not in first_line


def discover(directory: Path, edition: Edition) -> list[Migration]:
    """The migrations for one edition, in version order; one file per version."""
    chosen: dict[str, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: expected NNNN_name[.edition].sql")
        file_edition = match["edition"]
        if file_edition is not None and file_edition not in EDITIONS:
            raise MigrationError(f"{path.name}: unknown edition {file_edition!r}")
        if file_edition not in (None, edition):
            continue
        version = match["version"]
        if version in chosen:
            raise MigrationError(
                f"{path.name}: version {version} already used by {chosen[version].path.name}"
            )
        chosen[version] = Migration(version, match["name"], file_edition, path)
    return [chosen[version] for version in sorted(chosen)]


async def detect_edition(connection: asyncpg.Connection) -> Edition:
    await connection.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    license_name = await connection.fetchval("SHOW timescaledb.license")
    return "timescale" if license_name == "timescale" else "apache"


CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    text PRIMARY KEY,
    name       text NOT NULL,
    edition    text,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""
APPLIED = "SELECT version, checksum FROM schema_migrations"
RECORD = "INSERT INTO schema_migrations (version, name, edition, checksum) VALUES ($1, $2, $3, $4)"


async def migrate(
    connection: asyncpg.Connection, directory: Path = DEFAULT_DIRECTORY
) -> list[Migration]:
    """Apply every pending migration; returns those applied now."""
    edition = await detect_edition(connection)
    pending_all = discover(directory, edition)
    await connection.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_ID)
    try:
        await connection.execute(CREATE_LEDGER)
        applied = {row["version"]: row["checksum"] for row in await connection.fetch(APPLIED)}
        for migration in pending_all:
            if migration.version in applied and applied[migration.version] != migration.checksum:
                raise MigrationError(
                    f"{migration.path.name} changed after it was applied; "
                    "add a new migration instead"
                )
        pending = [m for m in pending_all if m.version not in applied]
        for migration in pending:
            await _apply(connection, migration)
        return pending
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_ID)


async def _apply(connection: asyncpg.Connection, migration: Migration) -> None:
    record = (migration.version, migration.name, migration.edition, migration.checksum)
    try:
        if migration.transactional:
            await _apply_in_transaction(connection, migration.sql, record)
        else:
            for statement in split_statements(migration.sql):
                await connection.execute(statement)
            await connection.execute(RECORD, *record)
    except asyncpg.PostgresError as exc:
        raise MigrationError(
            f"{migration.path.name} failed: {exc.__class__.__name__}: {exc}"
        ) from exc


async def _apply_in_transaction(
    connection: asyncpg.Connection, sql: str, record: tuple[object, ...]
) -> None:
    """Runs the file in one transaction, again if PostgreSQL chose it as a deadlock's victim:
    on the Timescale edition the job scheduler may run a policy on the tables a migration
    alters (its job lock against our table locks), and the rolled-back file is safe to
    repeat."""
    for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
        try:
            async with connection.transaction():
                await connection.execute(sql)
                await connection.execute(RECORD, *record)
            return
        except asyncpg.DeadlockDetectedError as exc:
            if attempt == DEADLOCK_ATTEMPTS:
                raise
            log.warning("migration_deadlock_retried", version=record[0], attempt=attempt,
                        error=str(exc))  # fmt: skip
