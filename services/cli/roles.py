"""The query service's login password, set from settings by `vitals migrate`.

The role itself is made by migrations/0008_query_login.sql; a password cannot be, since
nothing secret is committed. Without one the role can only log in where pg_hba.conf
trusts the connection (the local development server does; the compose image does not).
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import asyncpg

from services.contracts.settings import QUERY_ROLE, Settings

# format(%I, %L) quotes the name and the password on the server: ALTER ROLE takes no
# parameters, and values are never formatted into SQL in Python.
ALTER_ROLE_STATEMENT = "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)"


def query_password(settings: Settings) -> str | None:
    """VITALS_QUERY_DATABASE_PASSWORD, or the password of a query DSN that logs in as the role."""
    if settings.query_database_password:
        return settings.query_database_password
    if settings.query_database_url:
        parts = urlsplit(settings.query_database_url)
        if parts.username and unquote(parts.username) == QUERY_ROLE and parts.password:
            return unquote(parts.password)
    return None


async def set_query_password(connection: asyncpg.Connection, settings: Settings) -> bool:
    """Give the query role its password from settings; False when settings name none."""
    password = query_password(settings)
    if password is None:
        return False
    await connection.execute(await connection.fetchval(ALTER_ROLE_STATEMENT, QUERY_ROLE, password))
    return True
