"""The beacon endpoint: POST /v1/beacon and its CORS preflight.

Refusals are turned into responses here, not by an exception handler or middleware:
every beacon response needs the CORS headers and a status count, and this is one place
for both (measured in-process, ~10 % less CPU per beacon than two ASGI middlewares).
The error body is contracts' one shape.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, post

from services.contracts.errors import error_response
from services.ingest.body import MAX_BODY_BYTES
from services.ingest.cors import BEACON_PATH, beacon_preflight, cors_headers
from services.ingest.envelope import envelope_of
from services.ingest.rejections import Rejected


@post(BEACON_PATH, status_code=202, request_max_body_size=MAX_BODY_BYTES)
async def receive_beacon(request: Request[Any, Any, Any]) -> Response[Any]:
    """Answered 202 only once the beacon is in a queued job (or was a bot's, and dropped)."""
    state = request.app.state
    envelope = envelope_of(request.scope, state.country_header)
    cors = cors_headers(envelope.origin)
    try:
        reports = await state.intake.receive(request, envelope)
    except Rejected as exc:
        response = error_response(exc.status, exc.code, exc.detail, {**exc.headers, **cors})
    except Exception:
        state.telemetry.response(500)  # answered by the app's handler; counted here
        raise
    else:
        response = Response({"accepted": reports}, status_code=202, headers=cors)
    state.telemetry.response(response.status_code)
    return response


# The preflight is listed first: Litestar adds its own OPTIONS handler to a path whose
# first handler lacks one, and that one would answer without the CORS headers.
beacon_router = Router(path="/", route_handlers=[beacon_preflight, receive_beacon])
