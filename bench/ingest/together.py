"""Phase 3: everything at once on the same two cores: ingest, a worker, PostgreSQL,
Redis and the load generator, 2,000 beacons/s (10,000 reports/s) open loop.

Measured while it runs: the queue depth (it must not grow), the stored count (its slope
over the sending window is the end-to-end rate), and the lag from 202 to queryable row
for every TAG_EVERY-th beacon (watch.py).
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
import redis.asyncio

from bench.ingest import observe
from bench.ingest.beacons import BeaconSet
from bench.ingest.cpu import CpuMeter, Window, process_tree
from bench.ingest.environment import DATABASE, BenchEnvironment
from bench.ingest.load import SLOW_S
from bench.ingest.neighbour import neighbours
from bench.ingest.processes import now_ms, run_load, start_ingest, start_worker
from bench.ingest.report import say
from bench.ingest.slices import at, cut, render
from bench.ingest.stats import median, percentile
from bench.ingest.summary_probe import SummaryProbe
from bench.ingest.watch import Timeline, Watcher
from tests.support.ops import OPS_HEADERS

RATE = 2_000  # beacons/s: the end-to-end target
REPORTS_PER_BEACON = 5
# 2,000/s fits one ingest process (phase 1), and one process writes jobs twice the size
# two would: the workers' cost is mostly per transaction.
INGEST_PROCESSES = 1
# As compose runs it. One worker merges all that waits into each transaction
# (services/workers/absorption.py); two split it and wait on each other's rollup rows:
# 1.61 against 1.74 cores for the same 10,000 reports/s (100 s runs, issue 16's note).
WORKERS = 1
# Browsers are thousands of independent connections; the generator's pool must not be what
# limits the rate. At 2,000 beacons/s, 128 connections allowed at most 64 ms a request
# (Little's law): every connection waited in the same group commit, and the pool, not the
# server, set the rate (~1,500/s, the jobs all 128 beacons). 1,024 allow 0.5 s a request,
# and are each reused every half second (load.py: first in, first out), well inside
# uvicorn's keep-alive timeout.
CONNECTIONS = 1024
TAG_EVERY = 20  # 100 tagged beacons a second
SLICES = 10  # stretches of the sending window reported apart (at least 30 s each)


async def measure_together(
    env: BenchEnvironment, *, runs: int, duration_s: float, neighbour_cores: float = 0.0
) -> tuple[dict[str, float], list[dict[str, float]]]:
    """The median of each figure over the runs, and every run's figures; `neighbour_cores`
    taken by other processes while each run sends (neighbour.py)."""
    results = []
    for run in range(1, runs + 1):
        await env.reset_queue()
        await env.reset_data()
        with neighbours(neighbour_cores):
            r = await _run_once(env, f"e2e{run}", duration_s)
        results.append(r)
        say(
            f"together {run}/{runs}: {r['reports_per_s']:,.0f} reports/s stored while sending "
            f"{RATE:,} beacons/s ({r['accepted_per_s']:,.0f}/s accepted, ingest p99 "
            f"{r['ingest_p99_ms']:.0f} ms from the due time, {r['ingest_answer_p99_ms']:.0f} ms "
            f"once sent, statuses {r['statuses']}, {r['connections_open_at_end']:.0f} of "
            f"{CONNECTIONS} connections still open at the end); "
            f"202→row lag p50 {r['lag_p50_s']:.2f} s, p95 {r['lag_p95_s']:.2f} s, "
            f"p99 {r['lag_p99_s']:.2f} s; {r['ingest_slow_seconds']:.0f} seconds had an "
            f"answer over {SLOW_S * 1000:.0f} ms "
            f"({r['tags_unseen']:.0f} of {r['tags']:.0f} tagged never seen); queue "
            f"{r['queue_growth_jobs_per_s']:+.1f} jobs/s, max {r['queue_max']:.0f}, "
            f"{r['queue_at_end']:.0f} when sending stopped; {r['beacons_per_job']:.1f} "
            f"beacons/job written in {r['commit_ms']:.1f} ms on average; the system under "
            f"test used {r['cores_used']:.2f} cores (ingest "
            f"{r['ingest_cores']:.2f}, workers {r['workers_cores']:.2f}, Redis "
            f"{r['redis_cores']:.2f}, PostgreSQL {r['postgres_cores']:.2f}), "
            f"other processes {r['other_cores_busy']:.2f} cores; summary asked meanwhile "
            f"p95 {r['summary_p95_ms']:.1f} ms (the probe took {r['probe_cores']:.2f} cores); "
            f"WAL {r['wal_bytes_per_report']:,.0f} bytes and {r['wal_fpi_per_report']:.2f} "
            f"page images a report, {r['checkpoints']:.0f} checkpoints; Redis delayed "
            f"{r['redis_delayed_fsyncs']:.0f} AOF writes behind a slow fsync"
        )
    figures = [key for key in results[0] if key != "statuses"]
    medians = {key: median([r[key] for r in results]) for key in figures}
    return medians, [{k: v for k, v in r.items() if k != "statuses"} for r in results]


async def _run_once(env: BenchEnvironment, run: str, duration_s: float) -> dict[str, float]:
    bench = env.bench
    ingest = start_ingest(bench.settings, INGEST_PROCESSES)
    workers = [start_worker(bench.settings, burst=False) for _ in range(WORKERS)]
    client = redis.asyncio.Redis.from_url(bench.settings.redis_url)
    connection = await observe.connect(bench.settings.database_url)
    probe = SummaryProbe(bench.settings, bench.project_id)
    try:
        for worker in workers:
            worker.wait_healthy()
        probe.start()
        probe_cpu = CpuMeter([probe.pid])
        ingest_pids = process_tree(ingest.process.pid)
        worker_pids = [w.process.pid for w in workers]
        services = [*ingest_pids, *worker_pids]
        beacons = BeaconSet(run=run, origin_ms=now_ms(), key=bench.key, host="")
        with tempfile.TemporaryDirectory() as directory:
            out = Path(directory) / "load.json"
            window, cpu = Window(), CpuMeter([*services, env.redis_pid])
            wal_before = await observe.wal_written(connection)
            delayed_before = await observe.delayed_fsyncs(client)
            load = run_load(
                ingest.port, bench.key, run=run, origin_ms=beacons.origin_ms, rate=RATE,
                duration_s=duration_s, connections=CONNECTIONS, tag_every=TAG_EVERY, out=out,
            )  # fmt: skip
            watcher = Watcher(
                connection, client, beacons, bench.project_id, rate=RATE,
                duration_s=duration_s, tag_every=TAG_EVERY,
                processes=[*services, env.redis_pid], cpu=cpu,
            )  # fmt: skip
            timeline, sent = await watcher.watch(load, out)
        wal = await _wal(connection, wal_before, timeline)
        delayed_fsyncs = await observe.delayed_fsyncs(client) - delayed_before
        probe_backends = await observe.backend_pids(connection, DATABASE, probe=True)
        probe_cpu.sample([probe.pid, *probe_backends])
        machine = window.close(cpu.used_s() + probe_cpu.used_s() + float(sent["cpu_s"]))
        commits = _group_commits(ingest.url)
    finally:
        await probe.stop()
        for worker in workers:
            worker.stop()
        ingest.stop()
        await connection.close()
        await client.aclose()
    slice_s = max(30.0, sent["sent_within_s"] / SLICES)
    for line in render(cut(sent, timeline, cpu.history, probe.samples, slice_s)):
        say(line)
    started = time.strftime("%H:%M:%S", time.gmtime(sent["started_at"]))
    say(
        f"seconds (from {started} UTC) with an answer over {SLOW_S * 1000:.0f} ms: "
        f"{_stretches(sent['seconds'])}"
    )
    return {
        **_rates(sent, timeline),
        **_lags(sent, timeline),
        **_queue(sent, timeline),
        **wal,
        "redis_delayed_fsyncs": delayed_fsyncs,
        "ingest_slow_seconds": sum(1 for c in sent["seconds"] if c[3] > SLOW_S),
        **commits,
        "cores_used": cpu.used_s() / machine["wall_s"],
        **_cores_by_part(cpu, machine["wall_s"], ingest_pids, worker_pids, env.redis_pid),
        "other_cores_busy": machine["other_cores_busy"],
        "summary_p95_ms": percentile([seconds for _, seconds in probe.samples], 0.95) * 1000,
        "summary_failures": probe.failures,
        "probe_cores": probe_cpu.used_s() / machine["wall_s"],
    }


async def _wal(
    connection: asyncpg.Connection, before: dict[str, float], timeline: Timeline
) -> dict[str, float]:
    """WAL per report stored while the run lasted, and how much of it was page images."""
    after = await observe.wal_written(connection)
    stored = timeline.stored[-1][1] - timeline.stored[0][1] if timeline.stored else 0
    written = after["wal_bytes"] - before["wal_bytes"]
    return {
        "wal_bytes_per_report": written / max(1, stored),
        "wal_fpi_per_report": (after["wal_fpi"] - before["wal_fpi"]) / max(1, stored),
        "checkpoints": after["checkpoints"] - before["checkpoints"],
    }


def _cores_by_part(
    cpu: CpuMeter, wall_s: float, ingest: list[int], workers: list[int], redis_pid: int
) -> dict[str, float]:
    """Where the cores went: PostgreSQL is every process measured that is not ours (the
    sessions of the system under test)."""
    parts = {
        "ingest_cores": cpu.used_s(ingest),
        "workers_cores": cpu.used_s(workers),
        "redis_cores": cpu.used_s([redis_pid]),
    }
    parts["postgres_cores"] = cpu.used_s() - sum(parts.values())
    return {name: used / wall_s for name, used in parts.items()}


def _rates(sent: dict, timeline: Timeline) -> dict[str, float]:  # type: ignore[type-arg]
    start, end = sent["started_at"], sent["started_at"] + sent["sent_within_s"]
    stored = at(timeline.stored, end) - at(timeline.stored, start)
    return {
        "reports_per_s": stored / (end - start),
        "accepted_per_s": sent["statuses"].get("202", 0) / sent["sent_within_s"],
        "ingest_p99_ms": sent["latency_ms"]["p99"],
        "ingest_answer_p99_ms": sent["answer_ms"]["p99"],
        "connections_open_at_end": sent["connections_open_at_end"],
        "statuses": sent["statuses"],
    }


def _lags(sent: dict, timeline: Timeline) -> dict[str, float]:  # type: ignore[type-arg]
    lags = [timeline.seen.get(seq, math.inf) - at for seq, at in sent["tagged"]]
    return {
        "lag_p50_s": percentile(lags, 0.50),
        "lag_p95_s": percentile(lags, 0.95),
        "lag_p99_s": percentile(lags, 0.99),
        "tags": len(lags),
        "tags_unseen": sum(1 for lag in lags if lag == math.inf),
    }


def _queue(sent: dict, timeline: Timeline) -> dict[str, float]:  # type: ignore[type-arg]
    """Growth is the least-squares slope over the second half of the sending window, when
    a queue that cannot keep up has left its start-up transient behind."""
    start, end = sent["started_at"], sent["started_at"] + sent["sent_within_s"]
    late = [(t, d) for t, d in timeline.depth if (start + end) / 2 <= t <= end]
    return {
        "queue_growth_jobs_per_s": _slope(late),
        "queue_max": max((d for t, d in timeline.depth if t <= end), default=0),
        "queue_at_end": at(timeline.depth, end),
    }


def _slope(points: list[tuple[float, int]]) -> float:
    if len(points) < 2:
        return math.nan
    mean_t = sum(t for t, _ in points) / len(points)
    mean_d = sum(d for _, d in points) / len(points)
    covariance = sum((t - mean_t) * (d - mean_d) for t, d in points)
    variance = sum((t - mean_t) ** 2 for t, _ in points)
    return covariance / variance if variance else math.nan


def _stretches(seconds: list[list[float]]) -> str:
    """The slow seconds as stretches, "31-58 (837 ms; 95 ms once sent)", to line them up
    with the servers' logs (second 0 is the run's start). "Once sent" leaves out the wait
    for a free connection: what the server itself took at most."""
    stretches: list[list[list[float]]] = []
    for second in (c for c in seconds if c[3] > SLOW_S):
        if stretches and second[0] == stretches[-1][-1][0] + 1:
            stretches[-1].append(second)
        else:
            stretches.append([second])
    return (
        ", ".join(
            (f"{s[0][0]:.0f}" if len(s) == 1 else f"{s[0][0]:.0f}-{s[-1][0]:.0f}")
            + f" ({max(c[3] for c in s) * 1000:.0f} ms; "
            f"{max(c[4] for c in s) * 1000:.0f} ms once sent)"
            for s in stretches
        )
        or "none"
    )


def _group_commits(ingest_url: str) -> dict[str, float]:
    """Mean group-commit size and time to write one, from ingest's own histograms."""
    text = httpx.get(ingest_url + "/metrics", headers=OPS_HEADERS, timeout=5).text
    values = {
        line.split()[0]: float(line.split()[1])
        for line in text.splitlines()
        if line.startswith("vitals_ingest_batch_")
    }
    count = values.get("vitals_ingest_batch_beacons_count", 0) or math.nan
    return {
        "beacons_per_job": values.get("vitals_ingest_batch_beacons_sum", 0) / count,
        "commit_ms": values.get("vitals_ingest_batch_seconds_sum", 0) / count * 1000,
    }
