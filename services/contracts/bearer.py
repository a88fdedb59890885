"""`Authorization: Bearer <token>`, read the one way every service reads it."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection


def presented_bearer(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The token after `Bearer ` (any case), stripped; None without one."""
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None
