"""`python -m bench.faults [--quick] [--scenario NAME]`: the faults of issue 12 under load.

Each scenario starts ingest and two workers under `vitals up`'s supervisor (which
restarts a child that exits, with backoff) on a private PostgreSQL cluster and a private
Redis, offers a steady 200 beacons/s of five reports each (every beacon its own page
view, every answer recorded), injects one fault, lifts it, lets the queue drain, and
checks the database against every 202:

- acknowledged / stored / lost: reports answered 202, how many of those are stored, and
  how many are not;
- duplicates: raw rows held twice plus rollup samples beyond a recount of the raw rows
  (`rollup_missing`: samples short of it);
- max_unavailable_s: the longest stretch in which no beacon got a 202;
- drain_s: from the fault's end until the backlog was back to its level before the fault
  and everything sent before the end that will be stored was (null: not within the run);
- failed: jobs in the failed registry (the most seen at any time);
- supervisor_restarts: children the supervisor had to start again.

Figures are reported as measured, never asserted: the system is expected to heal, and the
bench says whether it did. The last line is one JSON object with the totals (`lost`,
`duplicates`, `failed`), the worst `max_unavailable_s`, and every scenario's figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json

import msgspec

from bench.faults.run import Timing, run_scenario
from bench.faults.scenarios import SCENARIOS
from bench.faults.world import PrivateServers
from bench.ingest.report import say

RATE = 200.0  # beacons per second, five reports each
# How long each fault holds (0: a kill, over when it lands), full run and --quick.
# 90 s of SIGSTOP outlasts the job lease (15 s) many times; 60 s of PostgreSQL outage
# outlasts the first three retry intervals (1 + 5 + 15 s) of a job that spent them.
HOLD_S = {"no_fault": 0, "worker_kill9": 0, "worker_sigstop": 90, "ingest_sigterm": 0,
          "ingest_kill9": 0, "postgres_outage": 60, "redis_full": 30,
          "redis_restart": 10}  # fmt: skip
QUICK_HOLD_S = {"worker_sigstop": 20, "postgres_outage": 20, "redis_full": 10,
                "redis_restart": 5}  # fmt: skip


class Plan(msgspec.Struct, frozen=True):
    scenarios: tuple[str, ...]
    timings: dict[str, Timing]


def plan(quick: bool, scenarios: tuple[str, ...], rate: float, hold_s: float | None) -> Plan:
    timings = {}
    for name in scenarios:
        hold: float = (QUICK_HOLD_S if quick else HOLD_S).get(name, 0)
        if hold_s is not None and hold:
            hold = hold_s
        timings[name] = Timing(
            rate=rate, warmup_s=5 if quick else 20, hold_s=hold, after_s=10 if quick else 60,
            drain_timeout_s=90 if quick else 300,
        )  # fmt: skip
    return Plan(scenarios, timings)


async def main(plan: Plan) -> dict[str, object]:
    servers = PrivateServers()
    figures: dict[str, dict[str, object]] = {}
    try:
        await servers.start()
        for name in plan.scenarios:
            say(f"{name}: {msgspec.json.encode(plan.timings[name]).decode()}")
            figures[name] = await run_scenario(servers, name, plan.timings[name])
            say(f"{name}: {_line(figures[name])}")
    finally:
        servers.close()
    for name, result in figures.items():
        print(f"{name:<16} {_line(result)}", flush=True)
    return {
        "lost": sum(_int(f["lost"]) for f in figures.values()),
        "duplicates": sum(_int(f["duplicates"]) for f in figures.values()),
        "failed": sum(_int(f["failed"]) for f in figures.values()),
        "max_unavailable_s": max((_float(f["max_unavailable_s"]) for f in figures.values()),
                                 default=None),
        "scenarios": figures,
    }  # fmt: skip


def _line(f: dict[str, object]) -> str:
    return (
        f"acknowledged {f['acknowledged']}, stored {f['stored']}, lost {f['lost']}, "
        f"duplicates {f['duplicates']} (rollups short {f['rollup_missing']}), "
        f"without 202 {f['max_unavailable_s']} s, drain {f['drain_s']} s, "
        f"failed {f['failed']}, restarts {f['supervisor_restarts']}, answers {f['answers']}"
    )


def _int(value: object) -> int:
    assert isinstance(value, int)
    return value


def _float(value: object) -> float:
    assert isinstance(value, (int, float))
    return float(value)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        prog="python -m bench.faults",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="short load and faults (smoke)")
    parser.add_argument("--scenario", action="append", choices=list(SCENARIOS),
                        help="run only this scenario (repeatable)")  # fmt: skip
    parser.add_argument("--rate", type=float, default=RATE, help="beacons per second")
    parser.add_argument(
        "--hold-s", type=float, help="hold each non-kill fault this long (400: past all retries)"
    )
    args = parser.parse_args()
    chosen = tuple(args.scenario or SCENARIOS)
    result = asyncio.run(main(plan(args.quick, chosen, args.rate, args.hold_s)))
    print(json.dumps(result), flush=True)
