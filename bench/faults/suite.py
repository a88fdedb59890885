"""The fault scenarios planned, run one after another on one pair of private servers,
and summed up; `python -m bench.faults` (__main__.py) is its command line."""

from __future__ import annotations

import msgspec

from bench.edition import database_edition
from bench.faults.run import Timing, run_scenario
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


async def run_suite(plan: Plan) -> dict[str, object]:
    servers = PrivateServers()
    figures: dict[str, dict[str, object]] = {}
    try:
        world = await servers.start()
        edition = await database_edition(world.settings.database_url)
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
        "edition": edition,
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
