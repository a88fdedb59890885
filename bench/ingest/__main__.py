"""`python -m bench.ingest [--quick]`: the write path's benchmark (issue 3), on loopback.

1. Ingest alone (no workers): saturation throughput with wrk, and open-loop p50/p99 at
   1,000 beacons/s, each for 1, 2 and 3 uvicorn processes (`--workers N`).
2. Workers alone: a pre-filled queue drained by two burst workers into TimescaleDB,
   rollups included, with jobs of 500 beacons and jobs of the size ingest writes live.
3. Everything together at 2,000 beacons/s: queue depth over time, end-to-end rate, and the
   p95 lag from 202 to queryable row.

Each figure is the median of RUNS runs (one with --quick) and is printed as measured,
with the CPU it cost and how many cores other processes on the machine took meanwhile:
on a shared two-core machine those decide whether a figure describes the code or the
neighbours. The last line is one JSON object with the headline figures. The bench uses
its own database and Redis (environment.py) and removes both on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
from typing import Any

from bench.edition import database_edition
from bench.ingest.environment import BenchEnvironment
from bench.ingest.ingest_alone import measure_ingest
from bench.ingest.report import say
from bench.ingest.saturate import wrk_path
from bench.ingest.together import measure_together
from bench.ingest.workers_alone import measure_workers

RUNS = 3
# Jobs as ingest writes them at 2,000 beacons/s with one process: what gathers during one
# Redis round trip (phase 3 prints the live figure as `beacons/job`).
LIVE_JOB_BEACONS = 8
FULL_JOB_BEACONS = 500  # services.ingest.commit.MAX_BATCH_BEACONS


PHASES = ("ingest", "workers", "together")


class Plan:
    def __init__(
        self, quick: bool, phases: tuple[str, ...] = PHASES, *,
        runs: int | None = None, together_s: float | None = None, neighbour_cores: float = 0.0,
    ) -> None:  # fmt: skip
        self.phases = phases
        self.runs = runs or (1 if quick else RUNS)
        self.saturate_s = 3.0 if quick else 10.0
        self.latency_s = 3.0 if quick else 10.0
        self.full_job_total = 5_000 if quick else 30_000  # beacons
        self.live_job_total = 1_000 if quick else 4_000
        self.together_s = together_s or (10.0 if quick else 60.0)
        self.neighbour_cores = neighbour_cores


async def main(plan: Plan) -> dict[str, Any]:
    wrk_path()  # fail before provisioning anything if the saturation tool is missing
    env = BenchEnvironment()
    await env.start()
    edition = await database_edition(env.bench.settings.database_url)
    figures: dict[str, Any] = {}
    try:
        if "ingest" in plan.phases:
            say("phase 1: ingest alone")
            figures |= await _ingest_alone(env, plan)
        if "workers" in plan.phases:
            say("phase 2: workers alone")
            figures |= await _workers_alone(env, plan)
        if "together" in plan.phases:
            say("phase 3: everything together")
            figures |= await _together(env, plan)
    finally:
        await env.close()
    headline = dict.fromkeys(HEADLINE)  # a phase not run prints its figures as null
    return {**headline, **figures, "runs": plan.runs, "edition": edition}


HEADLINE = ("ingest_beacons_per_s", "ingest_p99_ms_at_1000", "worker_reports_per_s",
            "e2e_reports_per_s", "e2e_lag_p95_s")  # fmt: skip


# uvicorn processes to try: a process leaves part of its core idle while its group commit
# waits on Redis, so one more process than cores can still add throughput.
INGEST_PROCESSES = (1, 2, 3)


async def _ingest_alone(env: BenchEnvironment, plan: Plan) -> dict[str, float | None]:
    timing = {"saturate_s": plan.saturate_s, "latency_s": plan.latency_s}
    results = {n: await measure_ingest(env, processes=n, runs=plan.runs, **timing)
               for n in INGEST_PROCESSES}  # fmt: skip
    best = max(results, key=lambda n: results[n]["beacons_per_s"])
    figures: dict[str, float | None] = {
        "ingest_beacons_per_s": round(results[best]["beacons_per_s"]),
        "ingest_p99_ms_at_1000": round(results[best]["p99_ms_at_1000"], 1),
        "ingest_processes": best,
        "ingest_cpu_us_per_beacon": round(results[best]["cpu_us_per_beacon_saturated"]),
    }
    for n, result in results.items():
        figures[f"ingest_{n}w_beacons_per_s"] = round(result["beacons_per_s"])
        figures[f"ingest_{n}w_p50_ms_at_1000"] = round(result["p50_ms_at_1000"], 1)
        figures[f"ingest_{n}w_p99_ms_at_1000"] = round(result["p99_ms_at_1000"], 1)
    return figures


async def _workers_alone(env: BenchEnvironment, plan: Plan) -> dict[str, float | None]:
    full = await measure_workers(
        env, workers=2, job_beacons=FULL_JOB_BEACONS, beacons=plan.full_job_total,
        runs=plan.runs,
    )  # fmt: skip
    live = await measure_workers(
        env, workers=2, job_beacons=LIVE_JOB_BEACONS, beacons=plan.live_job_total,
        runs=plan.runs,
    )  # fmt: skip
    return {
        "worker_reports_per_s": round(full["reports_per_s"]),
        "worker_reports_per_s_live_jobs": round(live["reports_per_s"]),
        "worker_cpu_us_per_report": round(full["cpu_us_per_report"]),
    }


async def _together(env: BenchEnvironment, plan: Plan) -> dict[str, Any]:
    together, runs = await measure_together(
        env, runs=plan.runs, duration_s=plan.together_s, neighbour_cores=plan.neighbour_cores
    )
    return {
        "e2e_seconds": plan.together_s,
        "e2e_neighbour_cores": plan.neighbour_cores,
        "e2e_cores_used": _rounded(together["cores_used"], 2),
        "e2e_ingest_p99_ms": _rounded(together["ingest_p99_ms"], 1),
        "e2e_summary_p95_ms": _rounded(together["summary_p95_ms"], 1),
        "e2e_runs": [{key: _rounded(value, 3) for key, value in run.items()} for run in runs],
        "e2e_reports_per_s": round(together["reports_per_s"]),
        "e2e_lag_p95_s": _rounded(together["lag_p95_s"], 2),
        "e2e_queue_growth_jobs_per_s": _rounded(together["queue_growth_jobs_per_s"], 1),
        "e2e_queue_max_jobs": round(together["queue_max"]),
        "e2e_beacons_per_job": round(together["beacons_per_job"], 1),
    }


def _rounded(value: float, digits: int) -> float | None:
    """JSON has no infinity: a lag never observed (rows never seen) prints as null."""
    return round(value, digits) if math.isfinite(value) else None


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one short run of each (smoke)")
    parser.add_argument(
        "--phase", action="append", choices=PHASES, help="run only this phase (repeatable)"
    )
    parser.add_argument("--runs", type=int, help=f"runs of each figure (default {RUNS})")
    parser.add_argument(
        "--together-s", type=float, help="seconds of sending in the together phase (default 60)"
    )
    parser.add_argument(
        "--neighbour-cores",
        type=float,
        default=0.0,
        help="cores other processes take while the together phase sends (default 0)",
    )
    args = parser.parse_args()
    plan = Plan(
        args.quick, tuple(args.phase or PHASES), runs=args.runs, together_s=args.together_s,
        neighbour_cores=args.neighbour_cores,
    )  # fmt: skip
    figures = asyncio.run(main(plan))
    print(json.dumps(figures), flush=True)
