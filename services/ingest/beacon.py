"""The beacon endpoint: POST /v1/beacon and its CORS preflight."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, post

from services.ingest.body import MAX_BODY_BYTES
from services.ingest.cors import BEACON_PATH, BeaconCors, beacon_preflight
from services.ingest.telemetry import CountResponses


@post(BEACON_PATH, status_code=202, request_max_body_size=MAX_BODY_BYTES)
async def receive_beacon(request: Request[Any, Any, Any]) -> Response[dict[str, int]]:
    """Answered 202 only once the beacon is in a queued job (or was a bot's, and dropped)."""
    reports = await request.app.state.intake.receive(request)
    return Response({"accepted": reports}, status_code=202)


beacon_router = Router(
    path="/",
    route_handlers=[beacon_preflight, receive_beacon],
    middleware=[CountResponses(), BeaconCors()],
)
