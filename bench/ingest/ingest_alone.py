"""Phase 1: ingest alone, no workers. Saturation throughput (wrk) and open-loop latency at
1,000 beacons/s, for a given number of uvicorn processes (`--workers N`).

Nothing drains the queue: the bench's Redis is emptied before every run (and the queue
bound set out of reach), so each run starts from the same state and never sees a 503.
For the same reason the group commit's backlog linger is kept out of reach: with no
worker, every queue is a backlog, and this phase measures ingest as it runs while the
workers keep up (phase 3 runs the default settings).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import msgspec

from bench.ingest.beacons import BeaconSet
from bench.ingest.cpu import CpuMeter, Window, process_tree
from bench.ingest.environment import BenchEnvironment
from bench.ingest.processes import load_result, now_ms, run_load, start_ingest
from bench.ingest.report import say
from bench.ingest.saturate import saturate
from bench.ingest.stats import median

LATENCY_RATE = 1_000  # beacons/s: the latency target is set at this rate
LATENCY_CONNECTIONS = 64
NO_BACKLOG = 10**9  # jobs
WARM_UP_S = 2.0  # first requests fill the key cache, the bot-check cache, lazy imports


async def measure_ingest(
    env: BenchEnvironment, *, processes: int, runs: int, saturate_s: float, latency_s: float
) -> dict[str, float]:
    bench = env.bench
    settings = msgspec.structs.replace(bench.settings, commit_backlog_jobs=NO_BACKLOG)
    ingest = start_ingest(settings, processes)
    pids = [*process_tree(ingest.process.pid), env.redis_pid]
    beacons = BeaconSet(run=f"sat{processes}", origin_ms=now_ms(), key=bench.key, host="")
    try:
        saturate(ingest.port, bench.key, beacons, WARM_UP_S)
        rates, cpu_us = [], []
        for run in range(1, runs + 1):
            await env.reset_queue()
            window, meter = Window(), CpuMeter(pids)
            result = saturate(ingest.port, bench.key, beacons, saturate_s)
            meter.sample(pids)
            machine = window.close(meter.used_s() + result["wrk_cpu_s"])
            accepted = result["accepted_per_s"] * result["seconds"]
            rates.append(result["accepted_per_s"])
            cpu_us.append(meter.used_s() / max(accepted, 1) * 1e6)
            say(
                f"ingest {processes}w saturation {run}/{runs}: "
                f"{result['accepted_per_s']:,.0f} beacons/s accepted "
                f"({result['refused']:.0f} refused, {result['socket_errors']:.0f} socket errors); "
                f"ingest+redis CPU {cpu_us[-1]:.0f} µs/beacon; "
                f"wrk {result['wrk_cpu_s']:.1f} s CPU; "
                f"other processes {machine['other_cores_busy']:.2f} cores"
            )
        p50s, p99s = [], []
        for run in range(1, runs + 1):
            await env.reset_queue()
            latency = _open_loop(ingest.port, bench.key, f"lat{processes}{run}", latency_s, pids)
            p50s.append(latency["latency_ms"]["p50"])
            p99s.append(latency["latency_ms"]["p99"])
            say(
                f"ingest {processes}w at {LATENCY_RATE:,}/s open loop {run}/{runs}: "
                f"p50 {p50s[-1]:.1f} ms, p99 {p99s[-1]:.1f} ms, "
                f"p99.9 {latency['latency_ms']['p99.9']:.1f} ms, statuses {latency['statuses']}; "
                f"other processes {latency['machine']['other_cores_busy']:.2f} cores"
            )
    finally:
        ingest.stop()
    return {
        "beacons_per_s": median(rates),
        "cpu_us_per_beacon_saturated": median(cpu_us),
        "p50_ms_at_1000": median(p50s),
        "p99_ms_at_1000": median(p99s),
    }


def _open_loop(port: int, key: str, run: str, duration_s: float, pids: list[int]) -> dict:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "load.json"
        window, meter = Window(), CpuMeter(pids)
        load = run_load(
            port, key, run=run, origin_ms=now_ms(), rate=LATENCY_RATE, duration_s=duration_s,
            connections=LATENCY_CONNECTIONS, tag_every=10**9, out=out,
        )  # fmt: skip
        result = load_result(load, out, timeout_s=duration_s + 60)
        meter.sample(pids)
    result["machine"] = window.close(meter.used_s() + float(result["cpu_s"]))  # type: ignore[arg-type]
    return result
