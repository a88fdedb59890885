"""One id per HTTP request: on every response (`X-Request-Id`), in every log line of the
request (structlog contextvars), and in the body of an unexpected 500, so a user's report
of a failure leads to its traceback.

A caller's own `X-Request-Id` (a proxy's, a test's) is kept when it is short and made of
safe characters; anything else is replaced, so a client cannot forge log lines with it.
"""

from __future__ import annotations

import os
import re
from typing import Any

import structlog
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
_HEADER_BYTES = HEADER.encode()
_STATE_KEY = "request_id"
_SANE = re.compile(rb"[A-Za-z0-9._:-]{1,64}")  # 64: a UUID or a trace id fits


def request_id_of(scope: Scope) -> str:
    """The request's id, chosen on first use and kept in the scope."""
    state: dict[str, Any] = scope.setdefault("state", {})
    request_id: str | None = state.get(_STATE_KEY)
    if request_id is None:
        request_id = state[_STATE_KEY] = _incoming(scope) or os.urandom(8).hex()
    return request_id


def _incoming(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == _HEADER_BYTES:
            return value.decode("ascii") if _SANE.fullmatch(value) else None
    return None


def bind_request_id(app: ASGIApp) -> ASGIApp:
    """Middleware: every log line of the request carries its id.

    Litestar runs route middleware outside the route's exception handler, so the log line
    of an unexpected 500 carries it too.
    """

    async def with_request_id(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        with structlog.contextvars.bound_contextvars(request_id=request_id_of(scope)):
            await app(scope, receive, send)

    return with_request_id


async def send_request_id(message: Message, scope: Scope) -> None:
    """A before-send hook: it sees every response, unknown routes' 404s included."""
    if message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message).add(HEADER, request_id_of(scope))
