"""Per-process state for RQ jobs: one event loop and one asyncpg pool, made once.

RQ calls jobs synchronously; opening a loop and a pool per job would cost more than the
job itself, so the worker process builds them at start and every job borrows them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import asyncpg

from services.contracts.database import create_pool
from services.contracts.settings import Settings

T = TypeVar("T")
SERVICE = "workers"


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self._pool: asyncpg.Pool | None = None

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    async def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            self._pool = await create_pool(self.settings, SERVICE)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self.loop.run_until_complete(self._pool.close())
        self.loop.close()


_current: Runtime | None = None


def install(settings: Settings) -> Runtime:
    global _current  # noqa: PLW0603 - one runtime per worker process, by design
    _current = Runtime(settings)
    return _current


def current() -> Runtime:
    """The process's runtime; a job run outside `vitals-worker` builds one from the environment."""
    return _current or install(Settings.from_env())
