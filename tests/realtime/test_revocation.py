"""A user's revoked tokens on the realtime server: refused on connect, dropped when live.

These need the test database (users and their token generations), so the server here
reads the migrated one, and checks live connections every half second.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import asyncpg
import msgspec
import pytest
import socketio
from argon2 import PasswordHasher

from services.cli import catalog
from services.contracts.settings import Settings
from services.contracts.tokens import mint_token
from tests.realtime.conftest import realtime_settings, start_realtime
from tests.realtime.live import LiveClient
from tests.support.processes import RedisServer, ServiceProcess

EMAIL = "ann@example.com"
CHECK_EVERY_S = 0.5


@pytest.fixture(scope="module")
def revocable_realtime(settings: Settings, live_redis: RedisServer) -> Iterator[ServiceProcess]:
    configured = msgspec.structs.replace(
        realtime_settings(settings, live_redis.url), token_check_ttl_s=CHECK_EVERY_S
    )
    service = start_realtime(configured)
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
async def user_token(settings: Settings, db: asyncpg.Connection) -> str:
    """A token of a real user, at the user's current generation."""
    user_id = await catalog.upsert_user(db, EMAIL, PasswordHasher().hash("a password"), [])
    # Ids restart with every test's TRUNCATE: let the server forget the last test's user.
    await asyncio.sleep(CHECK_EVERY_S)
    return mint_token(settings, subject=EMAIL, projects=[7], lifetime_s=600, user=(user_id, 0))


async def refusal(url: str, token: str) -> Any:
    # The server may answer from its generation cache for one check interval (by design:
    # the hot path stays off the database); an earlier test may have left the user there.
    await asyncio.sleep(CHECK_EVERY_S)
    client = LiveClient()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(url, auth={"token": token})
    await client.close()
    return client.connect_errors[0]["message"]


class TestRevocation:
    async def test_current_user_token_connects(
        self, revocable_realtime: ServiceProcess, user_token: str, live_client: Any
    ) -> None:
        """A user's token at the user's generation connects."""
        async with live_client(revocable_realtime.url, user_token) as client:
            assert client.sio.connected

    async def test_revoked_token_is_refused_on_connect(
        self, revocable_realtime: ServiceProcess, user_token: str, db: asyncpg.Connection
    ) -> None:
        """After `vitals user revoke` the user's earlier token is refused with token_revoked."""
        await catalog.revoke_tokens(db, EMAIL)
        assert await refusal(revocable_realtime.url, user_token) == "token_revoked"

    async def test_deleted_users_token_is_refused(
        self, revocable_realtime: ServiceProcess, user_token: str, db: asyncpg.Connection
    ) -> None:
        """A token of a user who no longer exists is refused."""
        await db.execute("DELETE FROM users WHERE email = $1", EMAIL)
        assert await refusal(revocable_realtime.url, user_token) == "token_revoked"

    async def test_forged_higher_generation_is_refused(
        self, revocable_realtime: ServiceProcess, settings: Settings, db: asyncpg.Connection
    ) -> None:
        """A token claiming a generation the user never had is refused, not taken as newer."""
        user_id = await catalog.upsert_user(db, EMAIL, PasswordHasher().hash("a password"), [])
        ahead = mint_token(settings, subject=EMAIL, projects=[7], lifetime_s=600, user=(user_id, 1))
        assert await refusal(revocable_realtime.url, ahead) == "token_revoked"

    async def test_live_connection_is_dropped_when_revoked(
        self,
        revocable_realtime: ServiceProcess,
        user_token: str,
        db: asyncpg.Connection,
        live_client: Any,
    ) -> None:
        """A connected user whose password changes is disconnected within the check interval."""
        async with live_client(revocable_realtime.url, user_token) as client:
            await catalog.set_password(db, EMAIL, PasswordHasher().hash("a new password"))
            await client.wait_for(lambda: client.disconnected_at is not None, timeout=3)
            assert client.disconnect_reason == socketio.AsyncClient.reason.SERVER_DISCONNECT

    async def test_other_users_stay_connected(
        self,
        revocable_realtime: ServiceProcess,
        settings: Settings,
        user_token: str,
        db: asyncpg.Connection,
        live_client: Any,
    ) -> None:
        """Revoking one user leaves another user's and a project token's connections alone."""
        bob = await catalog.upsert_user(db, "bob@example.com", PasswordHasher().hash("pw"), [])
        bob_token = mint_token(settings, subject="bob", projects=[7], lifetime_s=600, user=(bob, 0))
        project_token = mint_token(settings, subject="script", projects=[7], lifetime_s=600)
        async with (
            live_client(revocable_realtime.url, user_token) as ann,
            live_client(revocable_realtime.url, bob_token) as bob_client,
            live_client(revocable_realtime.url, project_token) as script,
        ):
            await catalog.revoke_tokens(db, EMAIL)
            await ann.wait_for(lambda: ann.disconnected_at is not None, timeout=3)
            assert bob_client.sio.connected and script.sio.connected
