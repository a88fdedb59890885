"""`vitals migrate` gives the query role the password named in settings."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import AsyncIterator

import asyncpg
import msgspec
import pytest

from services.cli.roles import query_password
from services.contracts.settings import ADMIN_ROLE, QUERY_ROLE, Settings
from tests.support.cli import vitals

STORED = "SELECT rolpassword FROM pg_authid WHERE rolname = $1"


def scram_matches(verifier: str, password: str) -> bool:
    """RFC 5802's check of a password against PostgreSQL's SCRAM-SHA-256 verifier."""
    mechanism, iterations_salt, keys = verifier.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key = keys.split(":")[0]
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    expected = base64.b64encode(hashlib.sha256(client_key).digest()).decode()
    return mechanism == "SCRAM-SHA-256" and hmac.compare_digest(expected, stored_key)


@pytest.fixture
async def admin(settings: Settings, db: asyncpg.Connection) -> AsyncIterator[asyncpg.Connection]:
    """The migrating login; the role's password is taken away again afterwards."""
    try:
        yield db
    finally:
        for role in (QUERY_ROLE, ADMIN_ROLE):
            await db.execute(f"ALTER ROLE {role} PASSWORD NULL")


class TestQueryPassword:
    async def test_migrate_sets_the_password_from_settings(
        self, settings: Settings, admin: asyncpg.Connection
    ) -> None:
        """With VITALS_QUERY_DATABASE_PASSWORD set, the role's stored verifier is for it."""
        with_password = msgspec.structs.replace(settings, query_database_password="s3cret-ñ")
        result = vitals(with_password, "migrate")
        assert f"set the password of {QUERY_ROLE}" in result.stdout
        assert scram_matches(await admin.fetchval(STORED, QUERY_ROLE), "s3cret-ñ")

    async def test_the_query_url_password_is_used(
        self, settings: Settings, admin: asyncpg.Connection
    ) -> None:
        """A VITALS_QUERY_DATABASE_URL that logs in as the role brings its password along."""
        url = "postgresql://vitals_query:from%2Furl@127.0.0.1:1/vitals"
        vitals(msgspec.structs.replace(settings, query_database_url=url), "migrate")
        assert scram_matches(await admin.fetchval(STORED, QUERY_ROLE), "from/url")

    async def test_no_password_in_settings_changes_nothing(
        self, settings: Settings, admin: asyncpg.Connection
    ) -> None:
        """Without one, migrate leaves the role as it is and says nothing about it."""
        result = vitals(settings, "migrate")
        assert QUERY_ROLE not in result.stdout
        assert await admin.fetchval(STORED, QUERY_ROLE) is None

    def test_a_replica_login_of_another_name_is_not_ours_to_change(
        self, settings: Settings
    ) -> None:
        """The password of a query URL for some other user is not taken for the role."""
        other = "postgresql://replica_reader:pw@replica/vitals"
        assert query_password(msgspec.structs.replace(settings, query_database_url=other)) is None


class TestAdminPassword:
    async def test_migrate_sets_the_admin_password_too_and_only_it(
        self, settings: Settings, admin: asyncpg.Connection
    ) -> None:
        """VITALS_ADMIN_DATABASE_PASSWORD gives vitals_admin its verifier; the query role,
        with no password in settings, is left alone."""
        with_password = msgspec.structs.replace(settings, admin_database_password="adm-ñ")
        result = vitals(with_password, "migrate")
        assert f"set the password of {ADMIN_ROLE}" in result.stdout
        assert QUERY_ROLE not in result.stdout
        assert scram_matches(await admin.fetchval(STORED, ADMIN_ROLE), "adm-ñ")
        assert await admin.fetchval(STORED, QUERY_ROLE) is None
        assert with_password.admin_url.startswith("postgresql://vitals_admin:adm-%C3%B1@")
