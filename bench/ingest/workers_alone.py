"""Phase 2: workers alone. The queue is filled first (no ingest running), then worker
processes start in burst mode and drain it into TimescaleDB, rollups included.

The clock starts when the first job leaves the queue (process start-up is not drain
time) and stops when the stored count reaches what was enqueued. Two job sizes: the group
commit's cap (500 beacons, what a backlog of big batches looks like) and the size ingest
actually writes at the end-to-end rate (a few beacons: group commit batches only what
arrives within one Redis round trip), since workers never merge jobs.
"""

from __future__ import annotations

import asyncio
import time

import redis.asyncio

from bench.ingest import observe
from bench.ingest.beacons import BeaconSet
from bench.ingest.cpu import CpuMeter, Window
from bench.ingest.environment import DATABASE, BenchEnvironment
from bench.ingest.prefill import fill
from bench.ingest.processes import now_ms, start_worker
from bench.ingest.report import say
from bench.ingest.stats import median

REPORTS_PER_BEACON = 5
POLL_S = 0.05
DRAIN_TIMEOUT_S = 120.0


async def measure_workers(
    env: BenchEnvironment, *, workers: int, job_beacons: int, beacons: int, runs: int
) -> dict[str, float]:
    rates, cpu_us = [], []
    for run in range(1, runs + 1):
        await env.reset_queue()
        await env.reset_data()
        result = await _drain_once(env, workers, job_beacons, beacons, f"w{job_beacons}r{run}")
        rates.append(result["reports_per_s"])
        cpu_us.append(result["cpu_us_per_report"])
        say(
            f"workers ×{workers}, jobs of {job_beacons} beacons, run {run}/{runs}: "
            f"{result['reports']:,.0f} reports in {result['seconds']:.1f} s = "
            f"{result['reports_per_s']:,.0f} reports/s; "
            f"CPU {result['cpu_us_per_report']:.0f} µs/report (workers "
            f"{result['worker_cpu_s']:.1f} s, PostgreSQL {result['postgres_cpu_s']:.1f} s); "
            f"other processes {result['other_cores_busy']:.2f} cores"
        )
    return {"reports_per_s": median(rates), "cpu_us_per_report": median(cpu_us)}


async def _drain_once(
    env: BenchEnvironment, workers: int, job_beacons: int, beacons: int, run: str
) -> dict[str, float]:
    bench = env.bench
    beacon_set = BeaconSet(run=run, origin_ms=now_ms(), key=bench.key, host="")
    jobs = await fill(
        bench.settings, beacon_set, bench.project_id, total=beacons, job_beacons=job_beacons
    )
    expected = beacons * REPORTS_PER_BEACON
    client = redis.asyncio.Redis.from_url(bench.settings.redis_url)
    connection = await observe.connect(bench.settings.database_url)
    window, redis_cpu = Window(), CpuMeter([env.redis_pid])
    processes = [start_worker(bench.settings, burst=True) for _ in range(workers)]
    worker_cpu, postgres_cpu = CpuMeter(), CpuMeter()
    started = finished = None
    stored = 0
    try:
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while time.monotonic() < deadline:
            pids = [p.process.pid for p in processes]
            backends = await observe.backend_pids(connection, DATABASE)
            if started is None and await observe.queue_depth(client) < jobs:
                started = time.monotonic()
                # CPU counts from here too: importing and connecting is not draining.
                worker_cpu, postgres_cpu = CpuMeter(pids), CpuMeter(backends)
            worker_cpu.sample(pids)
            postgres_cpu.sample(backends)
            stored = await observe.stored_reports(connection, bench.project_id)
            if stored >= expected:
                finished = time.monotonic()
                break
            await asyncio.sleep(POLL_S)
    finally:
        for process in processes:
            process.stop()
        await connection.close()
        await client.aclose()
    redis_cpu.sample([env.redis_pid])
    ours = worker_cpu.used_s() + postgres_cpu.used_s()
    machine = window.close(ours + redis_cpu.used_s())
    if finished is None:  # timed out: the rate of what did get stored
        say(f"drain incomplete after {DRAIN_TIMEOUT_S:.0f} s: {stored:,} of {expected:,} stored")
        finished = time.monotonic()
    seconds = finished - (started or finished - DRAIN_TIMEOUT_S)
    return {
        "reports": stored,
        "seconds": seconds,
        "reports_per_s": stored / seconds,
        "cpu_us_per_report": ours / max(stored, 1) * 1e6,
        "worker_cpu_s": worker_cpu.used_s(),
        "postgres_cpu_s": postgres_cpu.used_s(),
        "other_cores_busy": machine["other_cores_busy"],
    }
