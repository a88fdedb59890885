"""Database trouble in a request, as an answer the client can act on (503), not a 500.
Shared by the services that answer HTTP from PostgreSQL (query, admin)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import asyncpg

from services.contracts.errors import ApiError

R = TypeVar("R")
Compute = Callable[[], Coroutine[Any, Any, R]]


def query_timeout() -> ApiError:
    return ApiError(503, "query_timeout", "the database did not answer in time; narrow the query")


def database_unavailable() -> ApiError:
    return ApiError(503, "database_unavailable", "the database cannot be reached; retry shortly")


async def guarded(compute: Compute[R]) -> R:
    """Database trouble becomes a 503 the client can act on, not a 500."""
    try:
        return await compute()
    except (TimeoutError, asyncpg.QueryCanceledError):
        raise query_timeout() from None
    except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError):
        raise database_unavailable() from None
