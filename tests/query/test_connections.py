"""The query service logs in as its own role, which can read and can do nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.contracts.settings import QUERY_ROLE, Settings
from services.query.connections import reader_pool

SERVED_TABLES = (
    "projects", "pages", "users", "user_projects", "vitals", "vitals_hourly", "vitals_daily",
    "vitals_totals_hourly", "vitals_totals_daily", "vitals_device_daily", "vitals_route_daily",
    "vitals_client_daily",
)  # fmt: skip
WRITES = (
    "INSERT INTO projects (slug, name) VALUES ('evil', 'evil')",
    "UPDATE users SET password_hash = 'x'",
    "DELETE FROM vitals",
    "TRUNCATE pages",
    "CREATE TABLE stolen (id int)",
    "ALTER TABLE projects ADD COLUMN evil int",
    "DROP TABLE user_projects",
)
ESCAPES = (
    "SET ROLE postgres",
    "SET SESSION AUTHORIZATION postgres",
    "SET ROLE pg_write_all_data",
    "SET ROLE pg_read_server_files",
)


@pytest.fixture
async def as_query_role(
    settings: Settings, db: asyncpg.Connection
) -> AsyncIterator[asyncpg.Connection]:
    """A plain session as the query role: no read-only default, only the role's rights."""
    connection = await asyncpg.connect(settings.query_url)
    try:
        yield connection
    finally:
        await connection.close()


class TestQueryLogin:
    async def test_the_pool_logs_in_as_the_query_role(self, settings: Settings) -> None:
        """The service's real pool: session user vitals_query, acting as vitals_reader."""
        pool = await reader_pool(settings, "query-test")
        try:
            users = await pool.fetchrow("SELECT session_user, current_user")
        finally:
            await pool.close()
        assert tuple(users) == (QUERY_ROLE, "vitals_reader")

    async def test_the_role_has_no_powers_and_one_membership(
        self, as_query_role: asyncpg.Connection
    ) -> None:
        """Not a superuser, cannot make roles or databases, bypass RLS, or replicate."""
        role = await as_query_role.fetchrow(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication, "
            "rolinherit FROM pg_roles WHERE rolname = session_user"
        )
        assert tuple(role) == (False, False, False, False, False, True)
        member_of = await as_query_role.fetch(
            "SELECT roleid::regrole::text FROM pg_auth_members WHERE member = session_user::regrole"
        )
        assert [row[0] for row in member_of] == ["vitals_reader"]

    async def test_it_reads_every_table_the_service_serves(
        self, as_query_role: asyncpg.Connection
    ) -> None:
        """SELECT works on every table and rollup the views read."""
        for table in SERVED_TABLES:
            assert await as_query_role.fetchval(f"SELECT count(*) FROM {table}") == 0

    @pytest.mark.parametrize("statement", WRITES)
    async def test_it_cannot_write(self, as_query_role: asyncpg.Connection, statement: str) -> None:
        """Every kind of write is refused for lack of privilege, not just by a read-only default."""
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await as_query_role.execute(statement)

    @pytest.mark.parametrize("statement", ESCAPES)
    async def test_it_cannot_become_another_role(
        self, as_query_role: asyncpg.Connection, statement: str
    ) -> None:
        """SET ROLE and SET SESSION AUTHORIZATION to any role but its own are refused."""
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await as_query_role.execute(statement)

    async def test_it_cannot_become_the_database_owner(
        self, as_query_role: asyncpg.Connection, db: asyncpg.Connection
    ) -> None:
        """Whoever owns the tables (the login that migrates) is out of reach too."""
        owner = await db.fetchval("SELECT tableowner FROM pg_tables WHERE tablename = 'projects'")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await as_query_role.execute(f'SET ROLE "{owner}"')


class TestQueryUrl:
    def test_derived_from_the_database_url(self) -> None:
        """Unset, it is the main server and database as vitals_query, with the query password."""
        settings = Settings(
            database_url="postgresql://owner:secret@db.internal:5432/vitals?sslmode=require",
            redis_url="redis://localhost/0",
            query_database_password="p@ss/word",
        )
        assert settings.query_url == (
            "postgresql://vitals_query:p%40ss%2Fword@db.internal:5432/vitals?sslmode=require"
        )

    def test_without_a_password(self) -> None:
        """No query password: the URL names no password (for trust or certificate auth)."""
        settings = Settings(
            database_url="postgresql://postgres@127.0.0.1:55432/vitals", redis_url="redis://x/0"
        )
        assert settings.query_url == "postgresql://vitals_query@127.0.0.1:55432/vitals"

    def test_an_explicit_url_wins(self) -> None:
        """VITALS_QUERY_DATABASE_URL, a read replica say, is used as it is."""
        replica = "postgresql://reader:pw@replica:5432/vitals"
        settings = Settings(
            database_url="postgresql://owner@db/vitals",
            redis_url="redis://x/0",
            query_database_url=replica,
        )
        assert settings.query_url == replica
