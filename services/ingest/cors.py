"""CORS for the beacon endpoint: any site may send beacons, with no credentials.

sendBeacon's text/plain POST needs no preflight; fetch with JSON or the X-Vitals-Key
header does. The project's own origin allow-list is enforced on the POST itself (403),
so the preflight can answer every origin. Refusals carry the CORS headers too, so a
page's script can read a 429's or 503's Retry-After.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, route
from litestar.enums import HttpMethod

BEACON_PATH = "/v1/beacon"
ALLOWED_HEADERS = "Content-Type, X-Vitals-Key"
# Browsers cap this lower (Chromium: 2 h); the cap is the effective value, which is fine.
PREFLIGHT_MAX_AGE_S = 86_400
_ALWAYS = {"Access-Control-Expose-Headers": "Retry-After", "Vary": "Origin"}


def cors_headers(origin: str | None) -> dict[str, str]:
    if origin is None:
        return dict(_ALWAYS)
    return {**_ALWAYS, "Access-Control-Allow-Origin": origin}


@route(BEACON_PATH, http_method=HttpMethod.OPTIONS, status_code=204, include_in_schema=False)
async def beacon_preflight(request: Request[Any, Any, Any]) -> Response[None]:
    request.app.state.telemetry.response(204)
    return Response(
        None,
        status_code=204,
        headers={
            **cors_headers(request.headers.get("origin")),
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_S),
        },
    )
