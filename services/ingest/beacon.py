"""POST /v1/beacon: served by the app ahead of Litestar's routing, as plain ASGI.

Every beacon is one request, so what a request costs here sets how many a process takes.
Measured with py-spy in bench-ingest's together phase, Litestar's routing, signature
model, Request and Response objects took ~30 % of the process, about as much as the whole
intake (~33 %); here the two ASGI messages are read and written directly. Everything else
on the path stays Litestar's: the CORS preflight (cors.py), and the 405 any other method
gets. The answers are the same: the one error shape (contracts/errors.py), the CORS headers
on every answer, the request id header, and a 500 logged with its id.

Refusals are turned into responses here, not by an exception handler or middleware:
every beacon response needs the CORS headers and a status count, and this is one place
for both.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar.types import HTTPResponseStartEvent, HTTPScope, Receive, Send

from services.contracts.errors import unexpected_error
from services.contracts.request_ids import HEADER as REQUEST_ID_HEADER
from services.contracts.request_ids import request_id_of
from services.ingest.body import BodyReader
from services.ingest.cors import BEACON_PATH, cors_headers
from services.ingest.envelope import envelope_of
from services.ingest.rejections import Rejected

_encode = msgspec.json.Encoder().encode
_JSON = (b"content-type", b"application/json")
_REQUEST_ID = REQUEST_ID_HEADER.encode()


async def receive_beacon(state: Any, scope: HTTPScope, receive: Receive, send: Send) -> None:
    """Answered 202 only once the beacon is in a queued job (or was a bot's, and dropped)."""
    envelope = envelope_of(scope, state.countries)
    headers = cors_headers(envelope.origin)
    try:
        reports = await state.intake.receive(
            _query_key(scope), envelope, BodyReader(scope, receive)
        )
    except Rejected as exc:
        status = exc.status
        body: dict[str, Any] = {"error": exc.code, "detail": exc.detail}
        headers.update(exc.headers)
    except Exception as exc:
        status, body = 500, unexpected_error(scope, "POST", BEACON_PATH, exc)
    else:
        status, body = 202, {"accepted": reports}
    state.telemetry.response(status)
    await _respond(send, scope, status, _encode(body), headers)


def _query_key(scope: HTTPScope) -> str | None:
    query = scope.get("query_string", b"")
    if b"key" not in query:
        return None
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if name == "key":
            return value
    return None


async def _respond(
    send: Send, scope: HTTPScope, status: int, body: bytes, headers: dict[str, str]
) -> None:
    raw = [
        _JSON,
        (b"content-length", str(len(body)).encode()),
        (_REQUEST_ID, request_id_of(scope).encode()),
    ]
    raw += (
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    )
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": raw,
    }
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})
