"""Failures that belong to the environment, not to the job, and the outages they make.

A job's retries (RQ's `Retry`) are for errors of the job itself. A database or Redis
that is down, restarting or full, and a lock held by another session, say nothing about
the batch: re-running it later succeeds unchanged. Such errors are *transient*; a
batch that meets one is never bisected, parked or counted as failed. Two kinds:

- an outage (`outage_of` names the dependency): wait with backoff, however long;
- contention (lock or statement timeout, deadlock, serialization failure): re-run the
  batch in-process for a while (waiting.py), then let RQ retry it.

While an outage lasts, the `OutageBoard` logs it once when it starts, a summary at most
every SUMMARY_EVERY_S, and once when it ends; `/ready` reads it (health.py).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import asyncpg
import msgspec
import redis
import structlog

DATABASE = "database"
QUEUE_REDIS = "queue_redis"
SUMMARY_EVERY_S = 30.0

# Connection-level database errors: the server is down, restarting, shutting down,
# out of connections, or the connection broke (asyncpg's "connection is closed").
_DATABASE_DOWN = (
    asyncpg.PostgresConnectionError,  # class 08, ConnectionDoesNotExistError included
    asyncpg.CannotConnectNowError,  # 57P03: starting up or in recovery
    asyncpg.AdminShutdownError,  # 57P01
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.InsufficientResourcesError,  # class 53: too many connections, disk full
    ConnectionError,
    OSError,  # refused, reset, unreachable
    TimeoutError,  # connect or pool acquire timed out, or no answer within command_timeout
)
# InterfaceError also covers misuse and bad parameters (asyncpg's DataError): only these.
_CLOSED_CONNECTION = ("connection is closed", "connection was closed")
_CONTENTION = (
    asyncpg.LockNotAvailableError,  # 55P03: lock_timeout
    asyncpg.QueryCanceledError,  # 57014: statement_timeout
    asyncpg.DeadlockDetectedError,  # 40P01
    asyncpg.SerializationError,  # 40001
    # 25P03: a stalled attempt's session was cut off by the server; a re-run is clean.
    asyncpg.IdleInTransactionSessionTimeoutError,
)
_REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)
# Redis answers but refuses writes: at maxmemory (OOM), unable to persist (MISCONF), or
# a replica (READONLY). redis-py 5+ raises OutOfMemoryError for OOM; older ones a plain
# ResponseError, hence the prefixes too.
_REDIS_REFUSING = (redis.exceptions.OutOfMemoryError, redis.exceptions.ReadOnlyError)
_REFUSAL_PREFIXES = ("OOM ", "MISCONF ", "READONLY ")


def is_redis_outage(exc: BaseException) -> bool:
    if isinstance(exc, (*_REDIS_DOWN, *_REDIS_REFUSING)):
        return True
    return isinstance(exc, redis.ResponseError) and str(exc).startswith(_REFUSAL_PREFIXES)


def outage_of(exc: BaseException) -> str | None:
    """The dependency an error says is unavailable, or None when it is not an outage."""
    for error in _chain(exc):
        if is_redis_outage(error):
            return QUEUE_REDIS
        if isinstance(error, redis.RedisError):
            return None  # a Redis error that is not an outage; OSError below would claim it
        if isinstance(error, _DATABASE_DOWN):
            return DATABASE
        if isinstance(error, asyncpg.InterfaceError) and str(error).startswith(_CLOSED_CONNECTION):
            return DATABASE
    return None


def is_contention(exc: BaseException) -> bool:
    return any(isinstance(error, _CONTENTION) for error in _chain(exc))


def is_transient(exc: BaseException) -> bool:
    """Whether re-running the same batch later would likely succeed: not the data's fault."""
    return outage_of(exc) is not None or is_contention(exc)


def _chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 5:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


class Outage(msgspec.Struct, kw_only=True):
    dependency: str
    since: float  # epoch seconds
    reason: str
    failures: int = 1
    summarised_at: float = 0.0  # monotonic

    def describe(self) -> str:
        since = datetime.fromtimestamp(self.since, UTC).isoformat(timespec="seconds")
        return f"{self.dependency} unavailable since {since}: {self.reason}"


class OutageBoard:
    """The outages this process is waiting out, shared with the health thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._outages: dict[str, Outage] = {}
        self._log = structlog.get_logger()

    def failed(self, dependency: str, exc: BaseException) -> None:
        reason = f"{exc.__class__.__name__}: {exc}"[:300]
        with self._lock:
            outage = self._outages.get(dependency)
            if outage is None:
                self._outages[dependency] = Outage(
                    dependency=dependency, since=time.time(), reason=reason,
                    summarised_at=time.monotonic(),
                )  # fmt: skip
                self._log.warning("dependency_down", dependency=dependency, reason=reason)
                return
            outage.failures += 1
            outage.reason = reason
            if time.monotonic() - outage.summarised_at >= SUMMARY_EVERY_S:
                outage.summarised_at = time.monotonic()
                self._log.warning(
                    "dependency_still_down", dependency=dependency, reason=reason,
                    down_s=round(time.time() - outage.since), failures=outage.failures,
                )  # fmt: skip

    def recovered(self, dependency: str) -> None:
        with self._lock:
            outage = self._outages.pop(dependency, None)
        if outage is not None:
            self._log.info(
                "dependency_back", dependency=dependency,
                down_s=round(time.time() - outage.since, 1), failures=outage.failures,
            )  # fmt: skip

    def current(self) -> list[Outage]:
        with self._lock:
            return [msgspec.structs.replace(o) for o in self._outages.values()]


BOARD = OutageBoard()  # one per worker process, like the runtime
