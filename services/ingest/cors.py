"""CORS for the beacon endpoint: any site may send beacons, with no credentials.

sendBeacon's text/plain POST needs no preflight; fetch with JSON or the X-Vitals-Key
header does. The project's own origin allow-list is enforced on the POST itself (403),
so the preflight can answer every origin. Errors carry the CORS headers too, so a page's
script can read a 429's or 503's Retry-After.
"""

from __future__ import annotations

from litestar import Response, route
from litestar.enums import HttpMethod, ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

BEACON_PATH = "/v1/beacon"
ALLOWED_HEADERS = "Content-Type, X-Vitals-Key"
# Browsers cap this lower (Chromium: 2 h); the cap is the effective value, which is fine.
PREFLIGHT_MAX_AGE_S = 86_400
_EXPOSE = [(b"access-control-expose-headers", b"Retry-After"), (b"vary", b"Origin")]


class BeaconCors(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        origin = next((v for k, v in scope["headers"] if k == b"origin"), None)
        extra = list(_EXPOSE)
        if origin is not None:
            extra.append((b"access-control-allow-origin", origin))

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await next_app(scope, receive, send_with_cors)


@route(BEACON_PATH, http_method=HttpMethod.OPTIONS, status_code=204, include_in_schema=False)
async def beacon_preflight() -> Response[None]:
    return Response(
        None,
        status_code=204,
        headers={
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_S),
        },
    )
