"""The two measured scenarios: one big room, and many small busy ones."""

from __future__ import annotations

import asyncio
import time

import redis.asyncio

from bench.realtime.client import BenchClient, Sink
from bench.realtime.measure import MARKER, Receipts, Usage, percentile
from services.contracts.live import (
    LIVE_PAGE_VIEWS_MAX,
    LIVE_STREAM,
    LIVE_STREAM_FIELD,
    LiveBatch,
    LiveMetricValue,
    LivePageView,
    encode_batch,
)
from services.contracts.settings import Settings
from services.contracts.tokens import mint_token
from tests.support.processes import ServiceProcess

CONNECT_CONCURRENCY = 50
SETTLE_S = 2.0  # after the last publish: time for the last events to arrive
FANOUT_INTERVAL_S = 0.5  # slower than the 4/s bound: every batch is an event of its own
PROJECT_TICK_S = 0.1  # 10 batches/s per project: over the 4/s bound on purpose

FILLER_VIEWS = [
    LivePageView(
        route="/products/:id",
        device="desktop",
        country="DE",
        values=[
            LiveMetricValue(metric=m, value=v, rating="good")
            for m, v in (("LCP", 1800.0), ("FCP", 900.0), ("TTFB", 300.0), ("CLS", 0.02))
        ],
    )
] * (LIVE_PAGE_VIEWS_MAX - 1)
FILLER_BINS = {m: {b: 1 for b in range(300, 320)} for m in ("LCP", "INP", "CLS", "FCP", "TTFB")}
FILLER_COUNTS = {m: 20 for m in FILLER_BINS}


def batch(project_id: int, seq: int, *, full: bool) -> bytes:
    """Five metrics' bins and one page view marking `seq`; `full`: 19 more views before it."""
    marker = LivePageView(route=f"{MARKER}{seq}", device="mobile", country="FR", values=[])
    views = [*FILLER_VIEWS, marker] if full else [marker]
    return encode_batch(
        LiveBatch(project_id=project_id, counts=FILLER_COUNTS, bins=FILLER_BINS, page_views=views)
    )


async def connect_all(service: ServiceProcess, tokens: list[str], sink: Sink) -> list[BenchClient]:
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def connect(token: str) -> BenchClient:
        async with gate:
            return await BenchClient.open("127.0.0.1", service.port, token, sink)

    return await asyncio.gather(*(connect(t) for t in tokens))


async def fanout(
    service: ServiceProcess, settings: Settings, clients_n: int, rounds: int
) -> dict[str, float]:
    token = mint_token(settings, subject="bench", projects=[1], lifetime_s=3600)
    receipts = Receipts()
    publisher = redis.asyncio.Redis.from_url(settings.redis_url)
    started = time.perf_counter()
    clients = await connect_all(service, [token] * clients_n, receipts.sink)
    connect_s = time.perf_counter() - started
    usage = Usage(service.process.pid)
    for seq in range(rounds):
        receipts.published[seq] = time.perf_counter()
        await publisher.xadd(LIVE_STREAM, {LIVE_STREAM_FIELD: batch(1, seq, full=True)})
        await asyncio.sleep(FANOUT_INTERVAL_S)
    await asyncio.sleep(SETTLE_S)
    server_cpu, server_wait, own_cpu = usage.shares_pct()
    for client in clients:
        client.close()
    await publisher.aclose()
    everything, last_client = receipts.all_ms(), receipts.last_client_ms()
    return {
        "fanout_1000_p50_ms": round(percentile(everything, 0.50), 1),
        "fanout_1000_p95_ms": round(percentile(everything, 0.95), 1),
        "fanout_1000_p99_ms": round(percentile(everything, 0.99), 1),
        "fanout_1000_last_client_p50_ms": round(percentile(last_client, 0.50), 1),
        "fanout_1000_last_client_p95_ms": round(percentile(last_client, 0.95), 1),
        "fanout_1000_missing": clients_n * rounds - len(everything),
        "fanout_1000_server_cpu_pct": server_cpu,
        "fanout_1000_server_cpu_wait_pct": server_wait,
        "fanout_1000_clients_cpu_pct": own_cpu,
        "fanout_1000_connect_s": round(connect_s, 2),
    }


async def projects(
    service: ServiceProcess, settings: Settings, projects_n: int, per_project: int, seconds: float
) -> dict[str, float]:
    tokens = [
        mint_token(settings, subject="bench", projects=[p], lifetime_s=3600)
        for p in range(1, projects_n + 1)
        for _ in range(per_project)
    ]
    receipts = Receipts()
    publisher = redis.asyncio.Redis.from_url(settings.redis_url)
    clients = await connect_all(service, tokens, receipts.sink)
    usage = Usage(service.process.pid)
    started, seq = time.perf_counter(), 0
    for tick in range(round(seconds / PROJECT_TICK_S)):
        pipe = publisher.pipeline(transaction=False)
        now = time.perf_counter()
        for project_id in range(1, projects_n + 1):
            receipts.published[seq] = now
            pipe.xadd(LIVE_STREAM, {LIVE_STREAM_FIELD: batch(project_id, seq, full=False)})
            seq += 1
        await pipe.execute()
        await asyncio.sleep(max(0.0, started + (tick + 1) * PROJECT_TICK_S - time.perf_counter()))
    await asyncio.sleep(SETTLE_S)
    server_cpu, server_wait, own_cpu = usage.shares_pct()
    for client in clients:
        client.close()
    await publisher.aclose()
    everything = receipts.all_ms()
    # Each of a project's clients receives each of its events once.
    rates = [n / per_project / seconds for n in receipts.events.values()]
    return {
        "projects_100x10_p50_ms": round(percentile(everything, 0.50), 1),
        "projects_100x10_p95_ms": round(percentile(everything, 0.95), 1),
        "projects_100x10_batches_per_s": round(seq / seconds),
        "projects_100x10_max_events_per_project_s": round(max(rates, default=0.0), 2),
        "projects_100x10_missing": seq * per_project - len(everything),
        "projects_100x10_server_cpu_pct": server_cpu,
        "projects_100x10_server_cpu_wait_pct": server_wait,
        "projects_100x10_clients_cpu_pct": own_cpu,
    }
