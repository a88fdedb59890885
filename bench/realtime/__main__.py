"""`python -m bench.realtime`: fan-out latency and CPU of one realtime server, on loopback.

1. fanout_1000: 1,000 clients on one project; a full-sized batch (~6 KB event: 20 page
   views, five metrics' bins) is published every 0.5 s (slower than the 4/s bound, so
   every batch is its own event); latency from the publisher's XADD to receipt at each
   client, and to the last client of each event.
2. projects_100x10: 100 projects × 10 clients, every project receiving 10 batches/s (over
   the bound, so events merge; one page view each, so every batch's marker survives the
   merge's page-view cap); latency from each batch's XADD to the receipt of the event
   that carries it (this includes the throttle's hold, ≤ 250 ms by design), and the
   highest event rate any project reached.

The server's CPU is its process's user+system time over the measured phase, as a share
of one core; its CPU wait is the time its event loop was runnable but had no CPU (from
/proc/<pid>/schedstat: when high, the machine, not the server, set the latency). The
clients' CPU (this process: a thousand sockets, decoding, publishing) and the 1-minute
load average go out with them: on a shared machine latency tails say as much about the
neighbours as about the server. Redis and the server are private processes on 127.0.0.1.
The last line printed is one JSON object with every figure. The server runs without
permessage-deflate unless `--deflate`: compressing each event once per socket costs CPU
at fan-out, which is why Socket.IO's own server turned it off by default in v3;
production should start uvicorn with `--ws-per-message-deflate false` too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
import httpx
import redis.asyncio
import uvloop

from bench.realtime.client import BenchClient, Sink
from services.contracts.live import LiveBatch, LiveMetricValue, LivePageView
from services.contracts.settings import Settings
from services.contracts.tokens import mint_token
from services.realtime.pending_contract import (
    LIVE_PAGE_VIEWS_MAX,
    LIVE_STREAM,
    LIVE_STREAM_FIELD,
    encode_batch,
)
from tests.support.processes import RedisServer, ServiceProcess, free_port, settings_env

CONNECT_CONCURRENCY = 50
# Browsers offer permessage-deflate on every websocket; the bench clients do too.
CLIENT_DEFLATE_WBITS = 15
SETTLE_S = 2.0  # after the last publish: time for the last events to arrive


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


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def runqueue_wait_s(pid: int) -> float:
    """Time the process's main thread (the event loop) spent runnable but waiting for a CPU."""
    with open(f"/proc/{pid}/schedstat") as schedstat:
        return int(schedstat.read().split()[1]) / 1e9


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def batch(project_id: int, seq: int, *, full: bool) -> bytes:
    """Five metrics' bins and one page view marking `seq`; `full`: 19 more views before it."""
    marker = LivePageView(route=f"/r/{seq}", device="mobile", country="FR", values=[])
    views = [*FILLER_VIEWS, marker] if full else [marker]
    return encode_batch(
        LiveBatch(project_id=project_id, counts=FILLER_COUNTS, bins=FILLER_BINS, page_views=views)
    )


@contextmanager
def realtime_server(deflate: bool) -> Iterator[tuple[ServiceProcess, Settings]]:
    redis_server = RedisServer(appendonly=False).start()
    settings = Settings(
        database_url=os.environ.get("VITALS_DATABASE_URL", "postgresql://127.0.0.1/unused"),
        redis_url=redis_server.url,
        jwt_secret=secrets.token_urlsafe(48),
        log_level="warning",
    )
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "services.realtime.app:create_app",
        "--port", str(port), "--no-access-log",
        "--ws-per-message-deflate", "true" if deflate else "false",
    ]  # fmt: skip
    service = ServiceProcess("realtime-bench", command, settings_env(settings), port)
    try:
        service.wait_healthy()
        deadline = time.monotonic() + 30
        while httpx.get(service.url + "/ready").status_code != 200:
            if time.monotonic() > deadline:
                raise TimeoutError("realtime server not ready")
            time.sleep(0.1)
        yield service, settings
    finally:
        service.stop()
        redis_server.cleanup()


class Receipts:
    """Publish times by sequence number, and every client's receipt of every one of them."""

    def __init__(self) -> None:
        self.published: dict[int, float] = {}
        self.latencies: dict[int, list[float]] = defaultdict(list)
        self.events: dict[int, list[float]] = defaultdict(list)  # project -> receipt times

    def sink(self, received: float, name: str, payload: dict[str, object]) -> None:
        if name != "vitals":
            return
        views = payload["page_views"]
        assert isinstance(views, list)
        for view in views:
            route = view["route"]
            if route.startswith("/r/"):
                seq = int(route[3:])
                self.latencies[seq].append(received - self.published[seq])

    def all_ms(self) -> list[float]:
        return [1000 * latency for values in self.latencies.values() for latency in values]


async def connect_all(
    service: ServiceProcess, session: aiohttp.ClientSession, tokens: list[str], sink: Sink
) -> list[BenchClient]:
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    clients = [
        BenchClient(session, service.url, token, sink, CLIENT_DEFLATE_WBITS) for token in tokens
    ]

    async def connect(client: BenchClient) -> None:
        async with gate:
            await client.connect()

    await asyncio.gather(*(connect(c) for c in clients))
    return clients


async def fanout(
    service: ServiceProcess, settings: Settings, clients_n: int, rounds: int
) -> dict[str, float]:
    token = mint_token(settings, subject="bench", projects=[1], lifetime_s=3600)
    receipts = Receipts()
    publisher = redis.asyncio.Redis.from_url(settings.redis_url)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        started = time.perf_counter()
        clients = await connect_all(service, session, [token] * clients_n, receipts.sink)
        connect_s = time.perf_counter() - started
        cpu_before, wall_before = cpu_seconds(service.process.pid), time.perf_counter()
        own_before, waited_before = time.process_time(), runqueue_wait_s(service.process.pid)
        for seq in range(rounds):
            receipts.published[seq] = time.perf_counter()
            await publisher.xadd(LIVE_STREAM, {LIVE_STREAM_FIELD: batch(1, seq, full=True)})
            await asyncio.sleep(0.5)
        await asyncio.sleep(SETTLE_S)
        wall = time.perf_counter() - wall_before
        cpu = (cpu_seconds(service.process.pid) - cpu_before) / wall
        own_cpu = (time.process_time() - own_before) / wall
        waited = (runqueue_wait_s(service.process.pid) - waited_before) / wall
        await asyncio.gather(*(c.close() for c in clients))
    await publisher.aclose()
    everything = receipts.all_ms()
    last_client = [1000 * max(v) for v in receipts.latencies.values() if v]
    return {
        "fanout_1000_p50_ms": round(percentile(everything, 0.50), 1),
        "fanout_1000_p95_ms": round(percentile(everything, 0.95), 1),
        "fanout_1000_p99_ms": round(percentile(everything, 0.99), 1),
        "fanout_1000_last_client_p50_ms": round(percentile(last_client, 0.50), 1),
        "fanout_1000_last_client_p95_ms": round(percentile(last_client, 0.95), 1),
        "fanout_1000_missing": clients_n * rounds - len(everything),
        "fanout_1000_server_cpu_pct": round(100 * cpu, 1),
        "fanout_1000_clients_cpu_pct": round(100 * own_cpu, 1),
        "fanout_1000_server_cpu_wait_pct": round(100 * waited, 1),
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
    event_times: dict[int, list[float]] = defaultdict(list)

    def sink(received: float, name: str, payload: dict[str, object]) -> None:
        receipts.sink(received, name, payload)
        if name == "vitals":
            event_times[int(str(payload["project_id"]))].append(received)

    publisher = redis.asyncio.Redis.from_url(settings.redis_url)
    tick_s = 0.1  # 10 batches/s per project: over the 4/s bound on purpose
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        clients = await connect_all(service, session, tokens, sink)
        cpu_before, wall_before = cpu_seconds(service.process.pid), time.perf_counter()
        own_before, waited_before = time.process_time(), runqueue_wait_s(service.process.pid)
        seq = 0
        for tick in range(round(seconds / tick_s)):
            pipe = publisher.pipeline(transaction=False)
            now = time.perf_counter()
            for project_id in range(1, projects_n + 1):
                receipts.published[seq] = now
                pipe.xadd(LIVE_STREAM, {LIVE_STREAM_FIELD: batch(project_id, seq, full=False)})
                seq += 1
            await pipe.execute()
            await asyncio.sleep(max(0.0, wall_before + (tick + 1) * tick_s - time.perf_counter()))
        await asyncio.sleep(SETTLE_S)
        wall = time.perf_counter() - wall_before
        cpu = (cpu_seconds(service.process.pid) - cpu_before) / wall
        own_cpu = (time.process_time() - own_before) / wall
        waited = (runqueue_wait_s(service.process.pid) - waited_before) / wall
        await asyncio.gather(*(c.close() for c in clients))
    await publisher.aclose()
    everything = receipts.all_ms()
    # Each of a project's clients receives each event: events = arrivals / clients.
    rates = [len(times) / per_project / seconds for times in event_times.values()]
    return {
        "projects_100x10_p50_ms": round(percentile(everything, 0.50), 1),
        "projects_100x10_p95_ms": round(percentile(everything, 0.95), 1),
        "projects_100x10_batches_per_s": round(seq / seconds),
        "projects_100x10_max_events_per_project_s": round(max(rates, default=0.0), 2),
        "projects_100x10_missing": seq * per_project - len(everything),
        "projects_100x10_server_cpu_pct": round(100 * cpu, 1),
        "projects_100x10_clients_cpu_pct": round(100 * own_cpu, 1),
        "projects_100x10_server_cpu_wait_pct": round(100 * waited, 1),
    }


async def run(args: argparse.Namespace) -> dict[str, float]:
    with realtime_server(args.deflate) as (service, settings):
        figures = await fanout(service, settings, args.clients, args.rounds)
        print(json.dumps(figures), file=sys.stderr)
        figures |= await projects(service, settings, args.projects, args.per_project, args.seconds)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.realtime", description=__doc__)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--per-project", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--deflate",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="let the server accept permessage-deflate (compresses every event once per socket)",
    )
    args = parser.parse_args()
    figures = uvloop.run(run(args))
    # Shared machines skew latency: the load during the run goes out with the figures.
    figures["loadavg_1m"] = round(os.getloadavg()[0], 2)
    f = figures
    target = "met" if f["fanout_1000_p95_ms"] <= 200 else "MISSED"
    print(
        f"fan-out to {args.clients} clients: p50 {f['fanout_1000_p50_ms']} ms, "
        f"p95 {f['fanout_1000_p95_ms']} ms (target p95 ≤ 200 ms: {target}), "
        f"server CPU {f['fanout_1000_server_cpu_pct']} %"
    )
    print(
        f"{args.projects} projects × {args.per_project} clients at "
        f"{f['projects_100x10_batches_per_s']} batches/s: "
        f"p50 {f['projects_100x10_p50_ms']} ms, p95 {f['projects_100x10_p95_ms']} ms, "
        f"max {f['projects_100x10_max_events_per_project_s']} events/s per project, "
        f"server CPU {f['projects_100x10_server_cpu_pct']} %"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
