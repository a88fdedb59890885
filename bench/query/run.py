"""`make bench-query`: read-path latency over 30 days of one busy project.

Loads the benchmark database once (bench/query/load.py; reused while its shape matches),
starts the query service as production runs it (uvicorn, its own cache Redis), and times
each view over HTTP: cold (`Cache-Control: no-cache`, so the database answers) and warm
(from the cache), then the newest release's comparison and budget check (never cached).
The baseline is the same summary computed exactly with `percentile_cont` over the raw
hypertable. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx

from bench.edition import database_edition
from bench.query.load import (
    already_loaded,
    copy_loaded,
    database_url,
    load,
    recreate,
    rollup_sizes,
)  # fmt: skip
from services.contracts.settings import Settings
from services.contracts.tokens import mint_token
from tests.support.processes import RedisServer, ServiceProcess, uvicorn_service

DATABASE = "vitals_query_bench"
DAYS = 30
PAGE_VIEWS = 200_000  # a day, of the busy project
BUSY_PROJECT = 1  # created first
VIEWS: dict[str, tuple[str, dict[str, Any]]] = {
    "summary": ("summary", {}),
    "timeseries_hourly": ("timeseries", {"metric": "LCP", "bucket": "1h"}),
    "route_breakdown_top50": ("breakdown", {"metric": "LCP", "dimension": "route", "limit": 50}),
    "summary_browser_country": ("summary", {"browser": "Chrome", "country": "US"}),
}
# The loaded data ends at a whole hour; every view covers its last 30 days, as `last 30d`
# would right after loading, so runs on later days measure the same work.
VIEW_DAYS = 30
DATA_END = (
    "SELECT date_trunc('hour', max(time)) + interval '1 hour' FROM vitals WHERE project_id = $1"
)
# The summary's numbers, exactly, from raw rows: both periods, every metric.
BASELINE = """
SELECT metric, time >= $2 AS current, count(*),
       percentile_cont(ARRAY[0.5, 0.75, 0.9, 0.95, 0.99]) WITHIN GROUP (ORDER BY value),
       count(*) FILTER (WHERE rating = 0), count(*) FILTER (WHERE rating = 1),
       count(*) FILTER (WHERE rating = 2)
FROM vitals
WHERE project_id = $1 AND time >= $2 - ($3 - $2) AND time < $3
GROUP BY 1, 2
"""


def percentiles_ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return statistics.median(ordered) * 1000, p95 * 1000


async def time_view(
    http: httpx.AsyncClient, path: str, params: dict[str, Any], calls: int, *, cold: bool
) -> list[float]:
    headers = {"Cache-Control": "no-cache"} if cold else {}
    if not cold:
        (await http.get(path, params=params)).raise_for_status()  # fill the cache
    durations = []
    for _ in range(calls):
        started = time.perf_counter()
        response = await http.get(path, params=params, headers=headers)
        durations.append(time.perf_counter() - started)
        response.raise_for_status()
    return durations


def time_warm_plain(port: int, path: str, headers: dict[str, str], calls: int) -> list[float]:
    """Warm calls through the standard library's HTTP client on one kept-alive connection:
    httpx spends about a millisecond of its own CPU a request on this machine, which is
    the client's time, not the service's. Printed beside httpx's figure, not instead."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    durations = []
    try:
        for _ in range(calls + 1):  # the first fills the cache
            started = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            durations.append(time.perf_counter() - started)
            assert response.status == 200, response.status
    finally:
        connection.close()
    return durations[1:]


async def time_summary_warm_plain(
    port: int, path: str, token: str, calls: int
) -> tuple[float, float]:
    auth = {"Authorization": f"Bearer {token}"}
    p50, p95 = percentiles_ms(await asyncio.to_thread(time_warm_plain, port, path, auth, calls))
    print(f"  {'summary, http.client':26} warm p50 {p50:6.2f} ms  p95 {p95:6.2f} ms", flush=True)
    return p50, p95


async def time_comparison(http: httpx.AsyncClient, project_id: int, calls: int) -> dict[str, Any]:
    """The newest release against the one before it (the comparison is never cached), and
    the CI gate's check of the same release, both over the rollups of its days."""
    listed = (await http.get(f"/v1/projects/{project_id}/releases", params={"limit": 1})).json()
    release = listed["releases"][0]["name"]
    comparison = f"/v1/projects/{project_id}/releases/{release}/comparison"
    check = f"/v1/projects/{project_id}/releases/{release}/check"
    budgets = {"budgets": [{"metric": "LCP", "p75": 2500}, {"metric": "INP", "p75": 200}]}
    timings: dict[str, Any] = {"release": release}
    for name, call in (
        ("comparison", lambda: http.get(comparison)),
        ("check", lambda: http.post(check, json=budgets)),
    ):
        durations = []
        for _ in range(calls):
            started = time.perf_counter()
            response = await call()
            durations.append(time.perf_counter() - started)
            response.raise_for_status()
        p50, p95 = percentiles_ms(durations)
        timings[name] = {"cold_p50_ms": p50, "cold_p95_ms": p95}
        print(f"  release {name:18} cold p50 {p50:8.1f} ms  p95 {p95:8.1f} ms", flush=True)
    return timings


async def data_window(url: str, project_id: int) -> tuple[datetime, datetime]:
    connection = await asyncpg.connect(url)
    try:
        end: datetime = await connection.fetchval(DATA_END, project_id)
    finally:
        await connection.close()
    return end - timedelta(days=VIEW_DAYS), end


async def time_baseline(
    url: str, project_id: int, window: tuple[datetime, datetime], calls: int
) -> list[float]:
    connection = await asyncpg.connect(url)
    try:
        start, end = window
        durations = []
        for _ in range(calls):
            started = time.perf_counter()
            await connection.fetch(BASELINE, project_id, start, end)
            durations.append(time.perf_counter() - started)
        return durations
    finally:
        await connection.close()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--page-views", type=int, default=PAGE_VIEWS, help="a day, busy project")
    parser.add_argument("--calls", type=int, default=25)
    parser.add_argument("--baseline-calls", type=int, default=20)
    parser.add_argument("--reload", action="store_true", help="rebuild the database")
    parser.add_argument("--load-only", action="store_true", help="load, and measure nothing")
    parser.add_argument(
        "--copy-from", metavar="URL",
        help="load by copying this loaded benchmark database (e.g. the other edition's)",
    )  # fmt: skip
    return parser.parse_args()


@contextmanager
def running_query_service(url: str, base: Settings) -> Iterator[tuple[ServiceProcess, Settings]]:
    """The query service as production runs it (uvicorn, a cache Redis of its own) on `url`."""
    cache = RedisServer(appendonly=False, policy="allkeys-lru").start()
    settings = Settings(
        database_url=url, redis_url=cache.url, cache_redis_url=cache.url,
        jwt_secret=base.require_jwt_secret(), log_level="warning",
    )  # fmt: skip
    service = uvicorn_service("query-bench", "services.query.app:create_app", settings)
    try:
        service.wait_healthy(120)
        yield service, settings
    finally:
        service.stop()
        cache.cleanup()


def bench_token(settings: Settings, project_id: int) -> str:
    return mint_token(settings, subject="bench", projects=[project_id], lifetime_s=3600)


def authorized_client(service: ServiceProcess, token: str) -> httpx.AsyncClient:
    """A client of the query service sending `token`, patient enough for cold reads."""
    return httpx.AsyncClient(
        base_url=service.url, headers={"Authorization": f"Bearer {token}"}, timeout=120
    )


async def main() -> None:
    args = parse_args()
    base = Settings.from_env()
    url = database_url(base.database_url, DATABASE)
    if args.reload or not await already_loaded(url, args.days, args.page_views):
        print(
            f"loading {DATABASE}: {args.days} days x {args.page_views} page views ...", flush=True
        )
        await recreate(base.database_url, DATABASE)
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        if args.copy_from:
            timings = await copy_loaded(args.copy_from, url)
        else:
            timings = await load(url, end=now, days=args.days, page_views=args.page_views)
        print(f"loaded in {timings}", flush=True)
    sizes = await rollup_sizes(url)
    for name, rows in sizes.items():
        print(f"  {name:28} {rows:>12,} rows")
    if args.load_only:
        return

    results: dict[str, Any] = {}
    with running_query_service(url, base) as (service, settings):
        project_id = BUSY_PROJECT
        window = await data_window(url, project_id)
        span = {"from": window[0].isoformat(), "to": window[1].isoformat()}
        token = bench_token(settings, project_id)
        async with authorized_client(service, token) as http:
            for name, (view, view_params) in VIEWS.items():
                path = f"/v1/projects/{project_id}/{view}"
                params = {**span, **view_params}
                cold = percentiles_ms(await time_view(http, path, params, args.calls, cold=True))
                warm = percentiles_ms(await time_view(http, path, params, args.calls, cold=False))
                results[name] = {"cold_p50_ms": cold[0], "cold_p95_ms": cold[1],
                                 "warm_p50_ms": warm[0], "warm_p95_ms": warm[1]}  # fmt: skip
                print(f"  {name:26} cold p50 {cold[0]:8.1f} ms  p95 {cold[1]:8.1f} ms"
                      f"   warm p50 {warm[0]:6.2f} ms  p95 {warm[1]:6.2f} ms",
                      flush=True)  # fmt: skip
            summary_path = f"/v1/projects/{project_id}/summary?{urlencode(span)}"
            warm_plain = await time_summary_warm_plain(
                service.port, summary_path, token, args.calls
            )
            releases = await time_comparison(http, project_id, args.calls)
        baseline = percentiles_ms(await time_baseline(url, project_id, window, args.baseline_calls))
        label = "baseline percentile_cont"
        print(f"  {label:26} p50 {baseline[0]:8.1f} ms  p95 {baseline[1]:8.1f} ms")
    summary = results["summary"]
    print(
        json.dumps(
            {
                "summary_cold_p95_ms": round(summary["cold_p95_ms"], 2),
                "summary_warm_p95_ms": round(summary["warm_p95_ms"], 3),
                "summary_warm_http_client_p95_ms": round(warm_plain[1], 3),
                "baseline_exact_p95_ms": round(baseline[1], 1),
                "speedup": round(baseline[1] / summary["cold_p95_ms"], 1),
                "max_cold_p95_ms": round(max(r["cold_p95_ms"] for r in results.values()), 2),
                "comparison_cold_p95_ms": round(releases["comparison"]["cold_p95_ms"], 2),
                "check_cold_p95_ms": round(releases["check"]["cold_p95_ms"], 2),
                "views": results,
                "rows": sizes,
                "edition": await database_edition(url),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
