"""What the admin service's database login may do after migration 0019: the writes its
projects, keys and users endpoints need, and still no password hash, no measured data,
no project row deleted; and the query service's login stays read-only."""

from __future__ import annotations

import asyncpg
import pytest

from services.contracts.settings import Settings


class TestTheLogins:
    async def test_the_admin_login_cannot_read_hashes_or_delete_data(
        self, settings: Settings, db: asyncpg.Connection
    ) -> None:
        """Refused: password hashes, deleting a project row or measured rows, keys'
        hashes rewritten, webhook secrets."""
        login = await asyncpg.connect(settings.admin_url)
        try:
            for statement in (
                "SELECT password_hash FROM users",
                "DELETE FROM projects",
                "DELETE FROM vitals",
                "DELETE FROM vitals_route_daily",
                "DELETE FROM pages",
                "DELETE FROM ingest_keys",
                "UPDATE ingest_keys SET key_hash = 'x'",
                "SELECT secret FROM alert_destinations",
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await login.execute(statement)
        finally:
            await login.close()

    async def test_the_query_login_writes_none_of_the_new_tables(
        self, settings: Settings, db: asyncpg.Connection
    ) -> None:
        """The read-only side gains nothing: it cannot read set-password links, nor write
        users, projects or keys."""
        login = await asyncpg.connect(settings.query_url)
        try:
            for statement in (
                "SELECT token_sha256 FROM password_links",
                "UPDATE users SET is_owner = true",
                "UPDATE projects SET deleted_at = now()",
                "INSERT INTO ingest_keys (project_id, key_hash, prefix) VALUES (1, 'x', 'x')",
            ):
                with pytest.raises(
                    (asyncpg.InsufficientPrivilegeError, asyncpg.ReadOnlySQLTransactionError)
                ):
                    await login.execute(statement)
        finally:
            await login.close()
