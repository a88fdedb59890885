"""Password verification on a bounded pool: a flood is turned away, never queued forever."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import msgspec
import pytest
from argon2 import PasswordHasher

from services.contracts.errors import ApiError
from services.contracts.settings import Settings
from services.query.hashing import PasswordPool, hash_threads

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def password_hash() -> str:
    return PasswordHasher().hash(PASSWORD)


@pytest.fixture
def pool(base_settings: Settings) -> Iterator[PasswordPool]:
    """One thread and one place in the waiting line."""
    small = msgspec.structs.replace(base_settings, login_hash_threads=1, login_hash_queue=1)
    passwords = PasswordPool(small)
    try:
        yield passwords
    finally:
        passwords.close()


class TestPasswordPool:
    async def test_verifies_right_and_wrong_passwords(
        self, pool: PasswordPool, password_hash: str
    ) -> None:
        """The right password matches; a wrong one and a malformed hash do not."""
        assert await pool.verify(password_hash, PASSWORD)
        assert not await pool.verify(password_hash, "wrong")
        assert not await pool.verify("not an argon2 hash", PASSWORD)

    async def test_a_full_line_is_answered_503_at_once(
        self, pool: PasswordPool, password_hash: str
    ) -> None:
        """With one running and one waiting, the third login is refused with 503 and Retry-After."""
        running = asyncio.create_task(pool.verify(password_hash, PASSWORD))
        waiting = asyncio.create_task(pool.verify(password_hash, "wrong"))
        await asyncio.sleep(0)  # both are admitted; argon2 takes far longer than this
        with pytest.raises(ApiError) as refused:
            await pool.verify(password_hash, PASSWORD)
        assert (refused.value.status, refused.value.code) == (503, "login_busy")
        assert refused.value.headers["Retry-After"] == "1"
        assert await running and not await waiting

    async def test_a_place_frees_when_a_verification_ends(
        self, pool: PasswordPool, password_hash: str
    ) -> None:
        """Once the line has drained, logins are admitted again."""
        await asyncio.gather(*(pool.verify(password_hash, PASSWORD) for _ in range(2)))
        assert await pool.verify(password_hash, PASSWORD)

    async def test_a_cancelled_login_holds_its_place_until_its_thread_is_done(
        self, pool: PasswordPool
    ) -> None:
        """A client that hangs up does not free a thread still hashing for it."""
        slow_hash = PasswordHasher(time_cost=32).hash(PASSWORD)  # ~0.5 s to verify
        running = asyncio.create_task(pool.verify(slow_hash, PASSWORD))
        await asyncio.sleep(0.1)  # the thread has started hashing
        running.cancel()
        await asyncio.sleep(0)
        waiting = asyncio.create_task(pool.verify(slow_hash, PASSWORD))
        await asyncio.sleep(0)
        with pytest.raises(ApiError):
            await pool.verify(slow_hash, PASSWORD)
        assert await waiting


class TestHashThreads:
    def test_half_the_cores_by_default(self, base_settings: Settings) -> None:
        """Unset, argon2 gets half the cores and at least one thread."""
        assert hash_threads(base_settings) == max(1, (os.cpu_count() or 2) // 2)

    def test_the_setting_wins(self, base_settings: Settings) -> None:
        """VITALS_LOGIN_HASH_THREADS sets the pool's size."""
        assert hash_threads(msgspec.structs.replace(base_settings, login_hash_threads=3)) == 3
