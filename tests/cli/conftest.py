"""The CLI tests' fixture: the `vitals` command bound to a clean database and registry."""

from __future__ import annotations

import asyncpg
import pytest
import redis.asyncio

from services.contracts.settings import Settings
from tests.support.cli import vitals


@pytest.fixture
def cli(settings: Settings, db: asyncpg.Connection, redis_client: redis.asyncio.Redis):  # type: ignore[no-untyped-def]
    """The CLI bound to a clean database and registry."""
    return lambda *args, check=True: vitals(settings, *args, check=check)
