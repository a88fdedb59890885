"""Answer a view from the cache, or compute it once however many ask at the same time."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec
import structlog
from litestar import MediaType, Request, Response

from services.contracts.database_errors import Compute, guarded
from services.query.cache import ResultCache, cache_key, ttl_for
from services.query.instruments import CACHE
from services.query.singleflight import SingleFlight
from services.query.timerange import EARLIEST

T = TypeVar("T", bound=msgspec.Struct)
NO_CACHE = "no-cache"  # Cache-Control: no-cache computes afresh (and refreshes the entry)

log = structlog.get_logger()


async def answer(
    request: Request[Any, Any, Any],
    *,
    project_id: int,
    view: str,
    query: msgspec.Struct,
    window_end: datetime,
    compute: Compute[T],
    window_start: datetime = EARLIEST,
) -> Response[Any]:
    """The view's JSON: the cached bytes as they are, or computed, encoded once, and cached.

    [window_start, window_end) is every page-view time the answer reads (a summary's
    previous period included); the default start is safe, only coarser.
    """
    results: ResultCache = request.app.state.results
    flights: SingleFlight[bytes] = request.app.state.flights
    now = datetime.now(UTC)
    key = cache_key(project_id, view, query)
    hours = results.open_hours(window_start, window_end, now)
    cacheable = True
    if hours:
        # The versions are part of the key, so single flight only joins requests that saw
        # the same data versions: one that arrives after a bump never awaits an older read.
        versions = await results.versions(project_id, hours)
        cacheable = versions is not None
        key = f"{key}:{versions}"
    fresh = NO_CACHE in request.headers.get("cache-control", "").lower()
    if fresh:
        CACHE.labels("bypass").inc()
    elif cacheable:
        cached = await results.get(key)
        if cached is not None:
            return json_response(cached)

    async def work() -> bytes:
        started = time.perf_counter()
        body = msgspec.json.encode(await guarded(compute))
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        log.debug("view_computed", view=view, project_id=project_id, duration_ms=elapsed_ms)
        if cacheable:
            ttl_s = ttl_for(window_end, now, bool(hours), results.versioned_ttl_s)
            await results.set(key, body, ttl_s)
        return body

    return json_response(await (work() if fresh else flights.run(key, work)))


def json_response(body: bytes) -> Response[Any]:
    return Response(content=body, media_type=MediaType.JSON)
