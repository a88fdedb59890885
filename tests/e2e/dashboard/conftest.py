"""Fixtures for the dashboard's end-to-end tests: seeded data, the running system, Chromium.

The stack and the data are shared by the module's tests (starting them takes seconds);
each test drives its own fresh headless Chromium through `dashboard.mjs`. `running` holds
the eight-week shop (seed.py), `running_releases` two releases (seed_releases.py),
`running_alerts` alert rules, their history and deliveries (seed_alerts.py).
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
import redis.asyncio
from argon2 import PasswordHasher

from services.cli import catalog
from services.contracts import key_registry as registry
from services.contracts.settings import Settings
from services.contracts.tokens import mint_token
from tests.conftest import TRUNCATE_ALL
from tests.e2e.dashboard.seed import Seeded, seed_shop
from tests.e2e.dashboard.seed_alerts import seed_alerts
from tests.e2e.dashboard.seed_releases import seed_releases
from tests.e2e.dashboard.stack import DASHBOARD, OUTPUT, DashboardStack
from tests.support.processes import ROOT

EMAIL = "owner@shop.example"
PASSWORD = "correct horse battery staple"
SCRIPT = ROOT / "tests" / "e2e" / "dashboard" / "dashboard.mjs"


@dataclass(frozen=True)
class Running:
    stack: DashboardStack
    seeded: Seeded
    ingest_key: str
    token: str

    @property
    def project_id(self) -> int:
        return self.seeded.project_id


Seed = Callable[[asyncpg.Connection], Awaitable[Seeded]]


async def _seed(settings: Settings, stack: DashboardStack, seed: Seed) -> tuple[Seeded, str]:
    db = await asyncpg.connect(settings.database_url)
    try:
        await db.execute(TRUNCATE_ALL)
        seeded = await seed(db)
        await catalog.upsert_user(db, EMAIL, PasswordHasher().hash(PASSWORD), [seeded.project_id])
        key = await catalog.create_key(db, seeded.project_id, "dashboard e2e")
        client = redis.asyncio.Redis.from_url(stack.settings.redis_url)
        try:
            await registry.rebuild(client, lambda: registry.active_key_access(db))
        finally:
            await client.aclose()
    finally:
        await db.close()
    return seeded, key


@asynccontextmanager
async def _running(settings: Settings, seed: Seed) -> AsyncIterator[Running]:
    stack = DashboardStack(settings)
    try:
        seeded, key = await _seed(settings, stack, seed)
        stack.start()
        token = mint_token(
            stack.settings, subject=EMAIL, projects=[seeded.project_id], lifetime_s=3600
        )
        yield Running(stack, seeded, key, token)
    finally:
        stack.stop()


@pytest.fixture(scope="module")
async def running(settings: Settings) -> AsyncIterator[Running]:
    async with _running(settings, seed_shop) as started:
        yield started


@pytest.fixture(scope="module")
async def running_releases(settings: Settings) -> AsyncIterator[Running]:
    async with _running(settings, seed_releases) as started:
        yield started


@pytest.fixture(scope="module")
async def running_alerts(settings: Settings) -> AsyncIterator[Running]:
    async with _running(settings, seed_alerts) as started:
        yield started


def drive(
    running: Running,
    scenario: str,
    timeout_s: float = 180,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Runs one scenario of dashboard.mjs in a fresh Chromium; what it observed, as JSON.

    Lines the scenario prints with an `event` key go to `on_event` as they come (the live
    scenario says when it is ready for a page view); the last line is the result.
    """
    OUTPUT.mkdir(parents=True, exist_ok=True)
    config = {
        "scenario": scenario,
        "dashboardUrl": running.stack.dashboard_url,
        "queryUrl": running.stack.query.url,
        "projectId": running.project_id,
        "email": EMAIL,
        "password": PASSWORD,
        "token": running.token,
        "output": str(OUTPUT),
        **options,
    }
    process = subprocess.Popen(
        ["node", str(SCRIPT), json.dumps(config)],
        cwd=DASHBOARD, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    watchdog = threading.Timer(timeout_s, process.kill)
    watchdog.start()
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if not line.strip():
                continue
            lines.append(line)
            message = _json_or_none(line)
            if on_event and message is not None and "event" in message:
                on_event(message)
        stderr = process.stderr.read() if process.stderr else ""
        returncode = process.wait()
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
    assert returncode == 0 and lines, (
        f"dashboard.mjs {scenario} failed ({returncode}):\n{''.join(lines)[-4000:]}\n{stderr[-4000:]}"
    )
    observed: dict[str, Any] = json.loads(lines[-1])
    return observed


def _json_or_none(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
