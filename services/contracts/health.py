"""Liveness and readiness endpoints, the same shape in every service.

`/health` answers 200 while the process runs; `/ready` runs the service's dependency
checks and answers 503 when one fails, so an orchestrator stops routing to it until it
recovers. A check that finds something degraded (Degraded) leaves it 200 with status
`degraded`. Which check failed and why (it can name the setup) is told only to a caller
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
    """A dependency answers but is not usable as it is (configured unsafely, too far behind).

    `facts` (JSON values) join the reason in the detailed answer, so a caller with the ops
    token can read a figure (say, a replica's lag in seconds) without parsing the reason.
    """

    def __init__(self, reason: str, **facts: object) -> None:
        super().__init__(reason)
        self.facts = facts


class Degraded(Exception):
    """The service works, but something it looks after does not (a database job that keeps
    failing): /ready stays 200 and says `degraded`, naming it (with `facts`) to the ops token.

    Not a 503: an orchestrator would stop routing to the service, or restart it, which fixes
    nothing there and stops what still works. Alerts come from /metrics instead.
    """

    def __init__(self, reason: str, **facts: object) -> None:
        super().__init__(reason)
        self.facts = facts


def health_router(checks: dict[str, Check]) -> Router:
    @get("/health", sync_to_thread=False, include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", include_in_schema=False)
    async def ready(request: Request[Any, Any, Any], state: State) -> Response[dict[str, Any]]:
        token = ops_token(state.settings)
        detailed = token is not None and presents_ops_token(request, token)
        degraded: dict[str, dict[str, object]] = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(state), CHECK_TIMEOUT_S)
            except Degraded as exc:  # not logged: probes come every few seconds for days
                degraded[name] = {"reason": str(exc), **exc.facts}
            except Exception as exc:
                reason = str(exc) or exc.__class__.__name__
                facts = exc.facts if isinstance(exc, NotReady) else {}
                structlog.get_logger().warning("not_ready", failing=name, reason=reason, **facts)
                why = {"failing": name, "reason": reason, **facts} if detailed else {}
                return Response({"status": "unavailable", **why}, status_code=503)
        body: dict[str, Any] = {"status": "degraded" if degraded else "ready"}
        if detailed:
            body |= {"checked": list(checks)} | ({"degraded": degraded} if degraded else {})
        return Response(body)

    return Router(path="/", route_handlers=[health, ready])
