"""When a write is committed but Redis (the key registry, the job queue) cannot take its
part: a 503 that says what did happen and how to finish it."""

from __future__ import annotations

import structlog

from services.contracts.errors import ApiError


def registry_unavailable(exc: Exception, done: str) -> ApiError:
    """`done`: what the database holds now, said to the caller."""
    structlog.get_logger().warning("registry_update_failed", error=repr(exc))
    detail = (
        f"Redis could not be updated ({type(exc).__name__}): {done}; retry, or run"
        " `vitals keys sync` once Redis is back"
    )
    return ApiError(503, "registry_unavailable", detail, {"Retry-After": "5"})
