"""`make bench-login`: does a login flood slow the read API, or a real user's login?

Loads a small database once (a week of one project plus background projects, bench/
query/load.py; reused while its shape matches), adds a demo user, starts the query
service as production runs it (uvicorn,
its own cache Redis, one trusted proxy so each flooding request can claim a new address),
and for a fixed time per phase times summaries computed afresh (`Cache-Control:
no-cache`) and the demo user's logins: quiet, then under 8 clients posting wrong passwords
for random accounts from rotating X-Forwarded-For addresses (which the throttle cannot
stop), then under 8 clients posting correct logins (which it must not stop). The last
line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from argon2 import PasswordHasher

from bench.edition import database_edition
from bench.query.load import already_loaded, database_url, load, recreate
from bench.query.run import DATA_END, percentiles_ms
from services.cli import catalog
from services.contracts.settings import Settings
from services.contracts.tokens import mint_token
from tests.support.processes import RedisServer, uvicorn_service

DATABASE = "vitals_login_bench"
EMAIL, PASSWORD = "demo@example.com", "demo-password"
FLOOD_CLIENTS = 8
PROJECT_ID = 1  # the busy project is created first


async def prepare(base: Settings, days: int, page_views: int) -> tuple[str, datetime]:
    """The database's URL, and where its data ends (summaries cover the days before)."""
    url = database_url(base.database_url, DATABASE)
    if not await already_loaded(url, days, page_views):  # loading takes minutes on 2 cores
        print(f"loading {DATABASE}: {days} days x {page_views} page views ...", flush=True)
        await recreate(base.database_url, DATABASE)
        end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        await load(url, end=end, days=days, page_views=page_views)
    connection = await asyncpg.connect(url)
    try:
        await catalog.upsert_user(connection, EMAIL, PasswordHasher().hash(PASSWORD), [PROJECT_ID])
        data_end: datetime = await connection.fetchval(DATA_END, PROJECT_ID)
    finally:
        await connection.close()
    return url, data_end


async def timed_loop(call: Any, stop: asyncio.Event) -> list[float]:
    """Call again and again until told to stop; the duration of each call."""
    durations = []
    while not stop.is_set():
        started = time.perf_counter()
        response = await call()
        durations.append(time.perf_counter() - started)
        response.raise_for_status()
    return durations


async def flood(
    http: httpx.AsyncClient, correct: bool, stop: asyncio.Event, seen: Counter[int]
) -> None:
    rng = random.Random()  # noqa: S311 -- made-up addresses and accounts, not secrets
    while not stop.is_set():
        address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        email = EMAIL if correct else f"guess{rng.randrange(10**9)}@example.com"
        body = {"email": email, "password": PASSWORD if correct else "hunter2"}
        try:
            response = await http.post(
                "/v1/auth/token", json=body, headers={"X-Forwarded-For": address}
            )
            seen[response.status_code] += 1
        except httpx.HTTPError:
            seen[0] += 1


async def phase(
    http: httpx.AsyncClient,
    token: str,
    window: tuple[datetime, datetime],
    seconds: float,
    flooding: str | None,
) -> dict[str, Any]:
    """For `seconds`: summaries one after another, the demo user's logins one after
    another from its own address, and (if flooding) 8 clients posting logins."""
    stop, seen = asyncio.Event(), Counter[int]()
    flooders = [
        asyncio.create_task(flood(http, flooding == "correct", stop, seen))
        for _ in range(FLOOD_CLIENTS if flooding else 0)
    ]
    await asyncio.sleep(1 if flooding else 0)  # let the flood build up
    params = {"from": window[0].isoformat(), "to": window[1].isoformat()}
    headers = {"Authorization": f"Bearer {token}", "Cache-Control": "no-cache"}
    summaries = asyncio.create_task(timed_loop(lambda: http.get(
        f"/v1/projects/{PROJECT_ID}/summary", params=params, headers=headers), stop))  # fmt: skip
    logins = asyncio.create_task(timed_loop(lambda: http.post(
        "/v1/auth/token", json={"email": EMAIL, "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.1"}), stop))  # fmt: skip
    started = time.perf_counter()
    await asyncio.sleep(seconds)
    stop.set()
    summary, login = percentiles_ms(await summaries), percentiles_ms(await logins)
    await asyncio.gather(*flooders)
    elapsed = time.perf_counter() - started + (1 if flooding else 0)
    return {
        "summary_p50_ms": summary[0], "summary_p95_ms": summary[1],
        "login_p50_ms": login[0], "login_p95_ms": login[1],
        "summaries": len(summaries.result()), "logins": len(logins.result()),
        "flood_per_s": round(sum(seen.values()) / elapsed, 1),
        "flood_statuses": {str(k): v for k, v in sorted(seen.items())},
    }  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--page-views", type=int, default=10_000, help="a day, busy project")
    parser.add_argument("--seconds", type=float, default=15, help="per phase")
    args = parser.parse_args()

    base = Settings.from_env()
    url, data_end = await prepare(base, args.days, args.page_views)
    window = (data_end - timedelta(days=args.days), data_end)
    cache = RedisServer(appendonly=False, policy="allkeys-lru").start()
    settings = Settings(
        database_url=url, redis_url=cache.url, cache_redis_url=cache.url,
        jwt_secret=base.require_jwt_secret(), log_level="warning", trusted_proxy_hops=1,
    )  # fmt: skip
    service = uvicorn_service("login-bench", "services.query.app:create_app", settings)
    results: dict[str, dict[str, Any]] = {}
    try:
        service.wait_healthy(120)
        token = mint_token(settings, subject="bench", projects=[PROJECT_ID], lifetime_s=3600)
        limits = httpx.Limits(max_connections=FLOOD_CLIENTS + 4)
        async with httpx.AsyncClient(base_url=service.url, timeout=60, limits=limits) as http:
            for name, flooding in (("quiet", None), ("wrong_password_flood", "wrong"),
                                   ("correct_login_flood", "correct")):  # fmt: skip
                results[name] = figures = await phase(http, token, window, args.seconds, flooding)
                print(f"  {name:22} summary p50 {figures['summary_p50_ms']:7.1f} ms"
                      f"  p95 {figures['summary_p95_ms']:7.1f} ms   demo login p50"
                      f" {figures['login_p50_ms']:6.1f} ms  p95 {figures['login_p95_ms']:6.1f} ms"
                      f"   flood {figures['flood_per_s']:6.1f}/s {figures['flood_statuses']}",
                      flush=True)  # fmt: skip
    finally:
        service.stop()
        cache.cleanup()
    quiet, wrong = results["quiet"], results["wrong_password_flood"]
    correct = results["correct_login_flood"]
    print(json.dumps({
        "summary_p95_ms": round(quiet["summary_p95_ms"], 1),
        "summary_p95_wrong_flood_ms": round(wrong["summary_p95_ms"], 1),
        "summary_p95_correct_flood_ms": round(correct["summary_p95_ms"], 1),
        "login_p95_ms": round(quiet["login_p95_ms"], 1),
        "login_p95_wrong_flood_ms": round(wrong["login_p95_ms"], 1),
        "login_p95_correct_flood_ms": round(correct["login_p95_ms"], 1),
        "phases": results,
        "edition": await database_edition(url),
    }))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
