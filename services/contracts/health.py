"""Liveness and readiness endpoints, the same shape in every service.

`/health` answers 200 while the process runs; `/ready` runs the service's dependency
checks and answers 503 naming the first one that fails, so an orchestrator stops
routing to it until it recovers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Response, Router, get
from litestar.datastructures import State

# A check raises (any exception) when its dependency is not usable; the message is the reason.
Check = Callable[[State], Awaitable[None]]
CHECK_TIMEOUT_S = 3.0


class NotReady(Exception):
    """A dependency answers but is not configured safely."""


def health_router(checks: dict[str, Check]) -> Router:
    @get("/health", sync_to_thread=False, include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", include_in_schema=False)
    async def ready(state: State) -> Response[dict[str, Any]]:
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(state), CHECK_TIMEOUT_S)
            except Exception as exc:
                reason = str(exc) or exc.__class__.__name__
                return Response(
                    {"status": "unavailable", "failing": name, "reason": reason}, status_code=503
                )
        return Response({"status": "ready", "checked": list(checks)})

    return Router(path="/", route_handlers=[health, ready])
