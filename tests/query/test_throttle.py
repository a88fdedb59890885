"""Failed logins are throttled per account and per client address, in Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from argon2 import PasswordHasher
from litestar.testing import AsyncTestClient

from services.cli import catalog
from services.contracts.settings import Settings
from services.query.app import create_app
from tests.query.seeding import Seeder

ANN, ANN_PASSWORD = "ann@example.com", "correct horse battery"
BOB, BOB_PASSWORD = "bob@example.com", "tr0ub4dor&3"


@pytest.fixture
async def users(db: Any, seed: Seeder) -> None:
    project = await seed.project()
    hasher = PasswordHasher()
    await catalog.upsert_user(db, ANN, hasher.hash(ANN_PASSWORD), [project])
    await catalog.upsert_user(db, BOB, hasher.hash(BOB_PASSWORD), [project])


def throttled_settings(settings: Settings, **changes: Any) -> Settings:
    """Small limits, and one trusted proxy so each test picks its client's address."""
    small: dict[str, Any] = {
        "login_account_failures": 3, "login_address_failures": 5, "login_window_s": 60,
        "trusted_proxy_hops": 1,
    }  # fmt: skip
    return msgspec.structs.replace(settings, **(small | changes))


@pytest.fixture
async def login(query_settings: Settings, users: None, cache: Any) -> AsyncIterator[Any]:
    """POST /v1/auth/token from a given address, on an app with small limits."""
    async with AsyncTestClient(create_app(throttled_settings(query_settings))) as client:

        async def post(email: str, password: str, address: str = "203.0.113.7") -> Any:
            body = {"email": email, "password": password}
            return await client.post(
                "/v1/auth/token", json=body, headers={"X-Forwarded-For": address}
            )

        yield post


class TestLoginThrottle:
    async def test_the_account_limit_answers_429_with_retry_after(self, login: Any) -> None:
        """After 3 wrong passwords the 4th attempt, even the right one, is 429 with Retry-After."""
        for _ in range(3):
            assert (await login(ANN, "wrong")).status_code == 401
        refused = await login(ANN, ANN_PASSWORD)
        assert refused.status_code == 429
        assert refused.json()["error"] == "too_many_attempts"
        assert "try again" in refused.json()["detail"]
        assert 1 <= int(refused.headers["Retry-After"]) <= 60

    async def test_the_account_is_recognised_however_the_email_is_written(self, login: Any) -> None:
        """Case and surrounding spaces do not make a new account to guess at."""
        for email in (ANN, " ANN@example.com", "Ann@Example.COM "):
            assert (await login(email, "wrong")).status_code == 401
        assert (await login(ANN, "wrong")).status_code == 429

    async def test_another_account_from_another_address_is_unaffected(self, login: Any) -> None:
        """While Ann's account is locked out, Bob logs in from his own address."""
        for _ in range(4):
            await login(ANN, "wrong")
        assert (await login(BOB, BOB_PASSWORD, "198.51.100.20")).status_code == 200

    async def test_one_address_spraying_many_accounts_is_stopped(self, login: Any) -> None:
        """Five wrong passwords for five accounts from one address: the sixth account is 429."""
        for n in range(5):
            assert (await login(f"user{n}@example.com", "guess")).status_code == 401
        assert (await login(BOB, BOB_PASSWORD)).status_code == 429
        assert (await login(BOB, BOB_PASSWORD, "198.51.100.20")).status_code == 200

    async def test_success_resets_the_account(self, login: Any) -> None:
        """Two wrong passwords, the right one, then three more wrong ones are all judged."""
        for _ in range(2):
            assert (await login(ANN, "wrong")).status_code == 401
        assert (await login(ANN, ANN_PASSWORD)).status_code == 200
        statuses = [(await login(ANN, "wrong")).status_code for _ in range(3)]
        assert statuses == [401, 401, 401]
        assert (await login(ANN, "wrong")).status_code == 429

    async def test_it_works_again_after_the_window(
        self, query_settings: Settings, users: None, cache: Any
    ) -> None:
        """With a two-second window, a locked-out account logs in once Retry-After has passed."""
        settings = throttled_settings(query_settings, login_account_failures=1, login_window_s=2)
        async with AsyncTestClient(create_app(settings)) as client:
            wrong = {"email": ANN, "password": "wrong"}
            assert (await client.post("/v1/auth/token", json=wrong)).status_code == 401
            refused = await client.post("/v1/auth/token", json=wrong)
            assert refused.status_code == 429
            await asyncio.sleep(int(refused.headers["Retry-After"]) + 0.1)
            right = {"email": ANN, "password": ANN_PASSWORD}
            assert (await client.post("/v1/auth/token", json=right)).status_code == 200

    async def test_a_forwarded_for_header_is_ignored_without_a_trusted_proxy(
        self, query_settings: Settings, users: None, cache: Any
    ) -> None:
        """By default the socket peer is the client: a forged X-Forwarded-For escapes nothing."""
        settings = throttled_settings(query_settings, trusted_proxy_hops=0)
        async with AsyncTestClient(create_app(settings)) as client:
            for n in range(5):
                body = {"email": f"user{n}@example.com", "password": "guess"}
                headers = {"X-Forwarded-For": f"192.0.2.{n}"}
                await client.post("/v1/auth/token", json=body, headers=headers)
            body = {"email": BOB, "password": BOB_PASSWORD}
            refused = await client.post(
                "/v1/auth/token", json=body, headers={"X-Forwarded-For": "192.0.2.99"}
            )
            assert refused.status_code == 429

    async def test_only_the_trusted_proxys_entry_counts(self, login: Any) -> None:
        """With one trusted proxy, what the client wrote left of the proxy's entry is ignored."""
        for n in range(5):
            await login(f"user{n}@example.com", "guess", f"10.0.0.{n}, 203.0.113.7")
        assert (await login(BOB, BOB_PASSWORD, "10.9.9.9, 203.0.113.7")).status_code == 429

    async def test_replicas_share_the_counters(
        self, query_settings: Settings, users: None, cache: Any
    ) -> None:
        """Failures counted by one query process lock the account on another."""
        settings = throttled_settings(query_settings)
        wrong = {"email": ANN, "password": "wrong"}
        async with AsyncTestClient(create_app(settings)) as first:
            for _ in range(3):
                await first.post("/v1/auth/token", json=wrong)
        async with AsyncTestClient(create_app(settings)) as second:
            assert (await second.post("/v1/auth/token", json=wrong)).status_code == 429
