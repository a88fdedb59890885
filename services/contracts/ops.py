"""The operational endpoints' access rule, the same in every service.

`/metrics` (site-wide traffic, refusals, queue depths) and the reasons `/ready` gives
need `Authorization: Bearer <VITALS_OPS_TOKEN>`; `/health` and `/ready`'s status code
stay public, since probes and load balancers send no credentials.

With no token configured `/metrics` answers 404 for everyone. Not "loopback only":
behind a reverse proxy on the same host every request arrives from loopback, so the
address would let the whole internet in. A safe default costs one variable to undo.
"""

from __future__ import annotations

import hmac
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from services.contracts.bearer import presented_bearer
from services.contracts.errors import ApiError
from services.contracts.settings import Settings, SettingsError

MIN_OPS_TOKEN_BYTES = 16  # guessing must be hopeless; `openssl rand -hex 32` gives 64
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="ops"'}


def ops_token(settings: Settings) -> str | None:
    token = settings.ops_token
    if token is not None and len(token.encode()) < MIN_OPS_TOKEN_BYTES:
        raise SettingsError(f"VITALS_OPS_TOKEN must be at least {MIN_OPS_TOKEN_BYTES} bytes")
    return token


def presents_ops_token(connection: ASGIConnection[Any, Any, Any, Any], token: str) -> bool:
    presented = presented_bearer(connection)
    return presented is not None and hmac.compare_digest(presented.encode(), token.encode())


def require_ops_token(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A guard: 404 while no token is configured, 401 without the right one."""
    token = ops_token(connection.app.state.settings)
    if token is None:
        raise ApiError(404, "not_found", "set VITALS_OPS_TOKEN to serve this endpoint")
    if not presents_ops_token(connection, token):
        raise ApiError(401, "invalid_ops_token", "send `Authorization: Bearer <ops token>`",
                       _CHALLENGE)  # fmt: skip
