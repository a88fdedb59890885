"""The services' login passwords, set from settings by `vitals migrate`.

The roles themselves are made by the migrations (0008_query_login.sql, 0015_deploy_tokens.sql);
a password cannot be, since nothing secret is committed. Without one a role can only log
in where pg_hba.conf trusts the connection (the local development server does; the
compose image does not).
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import asyncpg

from services.contracts.settings import ADMIN_ROLE, QUERY_ROLE, Settings

# format(%I, %L) quotes the name and the password on the server: ALTER ROLE takes no
# parameters, and values are never formatted into SQL in Python.
ALTER_ROLE_STATEMENT = "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)"


def query_password(settings: Settings) -> str | None:
    """VITALS_QUERY_DATABASE_PASSWORD, or the password of a query DSN that logs in as the role."""
    return _password(QUERY_ROLE, settings.query_database_password, settings.query_database_url)


def admin_password(settings: Settings) -> str | None:
    """VITALS_ADMIN_DATABASE_PASSWORD, or the password of an admin DSN that logs in as the role."""
    return _password(ADMIN_ROLE, settings.admin_database_password, settings.admin_database_url)


async def set_login_passwords(connection: asyncpg.Connection, settings: Settings) -> list[str]:
    """Give each service role its password from settings; the roles whose password was set."""
    changed = []
    for role, password in ((QUERY_ROLE, query_password(settings)),
                           (ADMIN_ROLE, admin_password(settings))):  # fmt: skip
        if password is not None:
            statement = await connection.fetchval(ALTER_ROLE_STATEMENT, role, password)
            await connection.execute(statement)
            changed.append(role)
    return changed


def _password(role: str, password: str | None, url: str | None) -> str | None:
    if password:
        return password
    if url:
        parts = urlsplit(url)
        if parts.username and unquote(parts.username) == role and parts.password:
            return unquote(parts.password)
    return None
