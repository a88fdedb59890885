"""Liveness and readiness endpoints, the same shape in every service.

`/health` answers 200 while the process runs; `/ready` runs the service's dependency
checks and answers 503 when one fails, so an orchestrator stops routing to it until it
recovers. Which check failed and why (it can name the setup) is told only to a caller
with the ops token (services/contracts/ops.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from litestar import Request, Response, Router, get
from litestar.datastructures import State

from services.contracts.ops import ops_token, presents_ops_token

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
    async def ready(request: Request[Any, Any, Any], state: State) -> Response[dict[str, Any]]:
        token = ops_token(state.settings)
        detailed = token is not None and presents_ops_token(request, token)
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(state), CHECK_TIMEOUT_S)
            except Exception as exc:
                reason = str(exc) or exc.__class__.__name__
                structlog.get_logger().warning("not_ready", failing=name, reason=reason)
                why = {"failing": name, "reason": reason} if detailed else {}
                return Response({"status": "unavailable", **why}, status_code=503)
        return Response({"status": "ready", **({"checked": list(checks)} if detailed else {})})

    return Router(path="/", route_handlers=[health, ready])
