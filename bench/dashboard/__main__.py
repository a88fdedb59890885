"""`make bench-dashboard`: navigation to a fully rendered overview, in headless Chromium.

With the read-path benchmark's 30-day data set (bench/query/load.py; loaded once and
shared with `make bench-query`), the query service runs as production runs it (uvicorn,
its own cache Redis) and the built dashboard is served by `vite preview`, which proxies
`/v1` to it. "Fully rendered" is the app's `vitals:overview-ready` mark: all five tiles
and the trend chart on screen. Cold: a fresh browser profile and an emptied query cache
for each load. Warm: the same profile reloading, both caches filled. Median of 5 each.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from bench.edition import database_edition
from bench.query.load import already_loaded, database_url, load, recreate, rollup_sizes
from services.contracts.settings import Settings
from services.contracts.tokens import mint_token
from tests.e2e.dashboard.stack import DASHBOARD, build_dashboard, preview_server, wait_ready
from tests.support.processes import ROOT, RedisServer, uvicorn_service

# The read-path benchmark's database and shape (bench/query/run.py): one data set for both.
DATABASE = "vitals_query_bench"
DAYS = 30
PAGE_VIEWS = 200_000  # a day, the busy project
PROJECT_ID = 1  # the busy project is created first
SCRIPT = ROOT / "bench" / "dashboard" / "overview.mjs"
TARGET_COLD_MS = 1500
TARGET_WARM_MS = 500


def browse(url: str, token: str, mode: str, runs: int) -> list[dict[str, Any]]:
    options = json.dumps({"url": url, "token": token, "mode": mode, "runs": runs})
    result = subprocess.run(  # noqa: S603 - our own argv, no shell
        ["node", str(SCRIPT), options],  # noqa: S607 - node from PATH, as make test runs it
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"overview.mjs failed:\n{result.stdout}\n{result.stderr}")
    observed = json.loads(result.stdout.strip().splitlines()[-1])
    if observed["errors"]:
        raise RuntimeError(f"the page logged errors: {observed['errors']}")
    for run in observed["runs"]:
        if run["tiles"] != 5 or run["chart_paths"] < 1:
            raise RuntimeError(f"the overview was not fully rendered: {run}")
    runs_: list[dict[str, Any]] = observed["runs"]
    return runs_


def describe(name: str, runs: list[dict[str, Any]]) -> None:
    for run in runs:
        api = ", ".join(
            f"{a['path']} {a['start']:.0f}+{a['duration']:.0f} ms" for a in run["api_ms"]
        )
        loaded = f"html {run['html_ms']:.0f}, scripts {run['scripts_done_ms']:.0f}"
        kib = run["transferred_bytes"] / 1024
        print(f"  {name:5} {run['ms']:7.0f} ms  ({loaded}; {api}; {kib:.0f} KiB)", flush=True)


async def ensure_dataset(base: Settings, reload: bool) -> str:
    url = database_url(base.database_url, DATABASE)
    if reload or not await already_loaded(url, DAYS, PAGE_VIEWS):
        print(f"loading {DATABASE}: {DAYS} days x {PAGE_VIEWS:,} page views ...", flush=True)
        await recreate(base.database_url, DATABASE)
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        print(f"loaded in {await load(url, end=now, days=DAYS, page_views=PAGE_VIEWS)}", flush=True)
    for name, rows in (await rollup_sizes(url)).items():
        print(f"  {name:16} {rows:>12,} rows", flush=True)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--search", default=f"?project={PROJECT_ID}", help="the overview URL's query"
    )
    parser.add_argument("--reload", action="store_true", help="rebuild the benchmark database")
    args = parser.parse_args()

    base = Settings.from_env()
    url = asyncio.run(ensure_dataset(base, args.reload))
    cache = RedisServer(appendonly=False, policy="allkeys-lru").start()
    settings = Settings(
        database_url=url, redis_url=cache.url, cache_redis_url=cache.url,
        jwt_secret=base.require_jwt_secret(), log_level="warning",
    )  # fmt: skip
    build_dir = Path(tempfile.mkdtemp(prefix="vitals-dashboard-bench-"))
    processes = []
    try:
        query = uvicorn_service("query-bench-dashboard", "services.query.app:create_app", settings)
        processes.append(query)
        build_dashboard(build_dir)
        query.wait_healthy(120)
        dashboard = preview_server(build_dir, query_url=query.url, realtime_url=query.url)
        processes.append(dashboard)
        wait_ready(dashboard, "/config.json")
        token = mint_token(settings, subject="bench", projects=[PROJECT_ID], lifetime_s=3600)
        page = f"{dashboard.url}/{args.search}"
        print(f"overview {page} (dashboard {DASHBOARD.name}/ built into {build_dir})", flush=True)

        flusher = redis.Redis.from_url(cache.url)
        cold: list[dict[str, Any]] = []
        for _ in range(args.runs):
            flusher.flushdb()  # the query service computes afresh
            cold += browse(page, token, "cold", 1)
        flusher.close()
        warm = browse(page, token, "warm", args.runs)
    finally:
        for process in reversed(processes):
            process.stop()
        cache.cleanup()
        shutil.rmtree(build_dir, ignore_errors=True)

    describe("cold", cold)
    describe("warm", warm)
    cold_ms = statistics.median(r["ms"] for r in cold)
    warm_ms = statistics.median(r["ms"] for r in warm)
    print(f"overview cold: median {cold_ms:.0f} ms (target ≤ {TARGET_COLD_MS} ms)")
    print(f"overview warm: median {warm_ms:.0f} ms (target ≤ {TARGET_WARM_MS} ms)")
    print(json.dumps({
        "overview_cold_ms": round(cold_ms, 1),
        "overview_warm_ms": round(warm_ms, 1),
        "cold_runs_ms": [round(r["ms"], 1) for r in cold],
        "warm_runs_ms": [round(r["ms"], 1) for r in warm],
        "runs": args.runs,
        "url_query": args.search,
        "dataset": {"database": DATABASE, "days": DAYS, "page_views_per_day": PAGE_VIEWS},
        "edition": asyncio.run(database_edition(url)),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
