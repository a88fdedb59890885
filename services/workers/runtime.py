"""Per-process state for RQ jobs: one event loop and one asyncpg pool, made once.

RQ calls jobs synchronously; opening a loop and a pool per job would cost more than the
job itself, so the worker process builds them at start and every job borrows them. The
same goes for what jobs look up once per process: the project cache and the live-event
publisher.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

import asyncpg

from services.contracts.database import create_pool
from services.contracts.settings import Settings
from services.workers.live import LivePublisher
from services.workers.projects import ProjectDirectory

T = TypeVar("T")
SERVICE = "workers"


def session_timeouts(settings: Settings) -> dict[str, str]:
    """The workers' session limits (see Settings), in milliseconds as PostgreSQL reads them."""
    return {
        "lock_timeout": _ms(settings.worker_lock_timeout_s),
        "statement_timeout": _ms(settings.worker_statement_timeout_s),
        "idle_in_transaction_session_timeout": _ms(settings.worker_idle_in_transaction_timeout_s),
    }


def _ms(seconds: float) -> str:
    return str(round(seconds * 1000))


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self.projects = ProjectDirectory()
        self._pool: asyncpg.Pool | None = None
        self._publisher: LivePublisher | None = None

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        task = self.loop.create_task(coroutine)
        try:
            return self.loop.run_until_complete(task)
        except BaseException:
            # RQ's job timeout arrives as an exception raised by a signal handler while the
            # loop runs; without this the task would stay pending, holding a connection
            # mid-transaction, and resume inside the next job's run.
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    self.loop.run_until_complete(task)
            raise

    async def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            # While the database is down, asyncpg logs a traceback each time it fails to
            # restore the pool's floor; outages.BOARD already logs the outage, once.
            logging.getLogger("asyncpg.pool").setLevel(logging.ERROR)
            self._pool = await create_pool(
                self.settings, SERVICE, session_settings=session_timeouts(self.settings)
            )
        return self._pool

    @property
    def publisher(self) -> LivePublisher:
        if self._publisher is None:
            self._publisher = LivePublisher(self.settings)
        return self._publisher

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
