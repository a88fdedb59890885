"""The release comparison's cold latency over bench-query's 30-day data set, timed as
bench-query times it (the query service as production runs it, over HTTP, never cached),
when that data set is loaded on the edition's cluster; `make bench-query` loads it."""

from __future__ import annotations

from typing import Any

import httpx

from bench.edition import Edition, database_edition
from bench.query.load import already_loaded, database_url
from bench.query.run import (
    BUSY_PROJECT,
    DATABASE,
    DAYS,
    PAGE_VIEWS,
    running_query_service,
    time_comparison,
)
from services.contracts.settings import Settings
from services.contracts.tokens import mint_token


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
        token = mint_token(settings, subject="bench", projects=[BUSY_PROJECT], lifetime_s=3600)
        async with httpx.AsyncClient(
            base_url=service.url, headers={"Authorization": f"Bearer {token}"}, timeout=120
        ) as http:
            timings = await time_comparison(http, BUSY_PROJECT, calls)
    return timings, await database_edition(url)
