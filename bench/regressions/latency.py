"""The release comparison's cold latency over bench-query's 30-day data set, timed as
bench-query times it (the query service as production runs it, over HTTP, never cached),
when that data set is loaded on the edition's cluster; `make bench-query` loads it."""

from __future__ import annotations

from typing import Any

from bench.edition import Edition, database_edition
from bench.query.load import already_loaded, database_url
from bench.query.run import (
    BUSY_PROJECT,
    DATABASE,
    DAYS,
    PAGE_VIEWS,
    authorized_client,
    bench_token,
    running_query_service,
    time_comparison,
)
from services.contracts.settings import Settings


async def comparison_latency(calls: int) -> tuple[dict[str, Any] | None, Edition | None]:
    """The comparison's and the check's cold p50/p95 and the edition measured, or
    (None, None) when the data set is not loaded."""
    base = Settings.from_env()
    url = database_url(base.database_url, DATABASE)
    try:
        loaded = await already_loaded(url, DAYS, PAGE_VIEWS)
    except OSError:  # no server at all
        loaded = False
    if not loaded:
        return None, None
    with running_query_service(url, base) as (service, settings):
        async with authorized_client(service, bench_token(settings, BUSY_PROJECT)) as http:
            timings = await time_comparison(http, BUSY_PROJECT, calls)
    return timings, await database_edition(url)
