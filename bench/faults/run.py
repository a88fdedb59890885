"""One scenario: fresh services under steady load, one fault, recovery, the accounts.

Timeline (wall clock): the load starts at `start_at` and runs warm-up + hold + after
seconds; the fault lands warm-up seconds in and holds for `hold_s`; then the load goes on
while the system recovers. After the load, the queue is given `drain_timeout_s` to empty
before the database is checked against every 202 the load generator saw.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import secrets
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import msgspec

from bench.faults.accounting import settle, stored_before
from bench.faults.scenarios import SCENARIOS, Fault, Target
from bench.faults.stack import SupervisedStack
from bench.faults.watch import Sample, Watcher, drain_s, max_failed
from bench.faults.world import PrivateServers
from services.contracts.settings import Settings
from tests.e2e.stack import drain, queue_state
from tests.support.processes import OUTPUT, ROOT

REPORTS_PER_BEACON = 5  # tests/wire/v1/valid/full.json, the beacon bench/ingest renders
LOAD_START_DELAY_S = 3.0  # the load generator's imports, on a busy machine
ACCEPTED = 202


class Timing(msgspec.Struct, frozen=True):
    rate: float  # beacons per second
    warmup_s: float
    hold_s: float
    after_s: float
    drain_timeout_s: float

    @property
    def duration_s(self) -> float:
        """How long the load runs."""
        return self.warmup_s + self.hold_s + self.after_s


class Outcome(msgspec.Struct):
    """What happened while the scenario ran, before the accounts are settled."""

    fault: Fault
    end_seq: int  # beacons 0 .. end_seq - 1 were due before the fault ended
    drained: bool
    restarts: int
    samples: list[Sample]


async def run_scenario(servers: PrivateServers, name: str, timing: Timing) -> dict[str, object]:
    await servers.reset()
    world = servers.world
    run = secrets.token_hex(4)  # hex only: it sits in a LIKE pattern
    # The run id in every file name: a bench and the harness's test may run side by side.
    out = OUTPUT / f"bench-faults-{name}-{run}-answers.json"
    outcome = await _drive(servers, name, timing, run, out)
    # The timeline behind drain_s, for whoever wants to see how the queue recovered.
    timeline = OUTPUT / f"bench-faults-{name}-{run}-timeline.json"
    timeline.write_bytes(msgspec.json.encode(outcome))
    load = json.loads(out.read_text())
    answers = load["answers"]
    acknowledged = {seq for seq, status, _ in answers if status == ACCEPTED}
    db = await asyncpg.connect(world.settings.database_url)
    try:
        accounts = await settle(db, run, acknowledged, REPORTS_PER_BEACON)
        final = await stored_before(db, run, outcome.end_seq)
    finally:
        await db.close()
    failed_now = (await queue_state(world.settings)).failed
    fault = outcome.fault
    return {
        "run": run,  # names its logs: test-output/bench-faults-<scenario>-<run>*
        "acknowledged": accounts.acknowledged,
        "stored": accounts.stored,
        "lost": accounts.lost,
        "duplicates": accounts.duplicates,
        "rollup_missing": accounts.rollup_missing,
        "stored_not_acknowledged": accounts.stored_not_acknowledged,
        "max_unavailable_s": max_gap(answers, load["start_at"], timing),
        "drain_s": drain_s(outcome.samples, fault.started_at, fault.ended_at, final),
        "drained": outcome.drained,
        "failed": max(failed_now, max_failed(outcome.samples)),
        "beacons_sent": len(answers),
        "answers": _statuses(answers),
        "no_answer": load["errors"],  # why status 0: refused, reset, timed out
        "supervisor_restarts": outcome.restarts,
        "fault_s": round(fault.ended_at - fault.started_at, 1),
        **fault.notes,
    }


async def _drive(
    servers: PrivateServers, name: str, timing: Timing, run: str, out: Path
) -> Outcome:
    """Services up, load on, the fault at warm-up's end, then the load's end and a drain."""
    settings = servers.world.settings
    stack = SupervisedStack(settings, f"{name}-{run}")
    watcher = Watcher(settings, run)
    stop = asyncio.Event()
    load: subprocess.Popen[bytes] | None = None
    watching: asyncio.Task[None] | None = None
    try:
        await asyncio.to_thread(stack.wait_healthy)
        start_at = time.time() + LOAD_START_DELAY_S
        load = _start_load(
            stack.ingest_port, servers.world.key, run, start_at=start_at, timing=timing, out=out
        )
        watching = asyncio.create_task(watcher.watch(stop))
        await asyncio.sleep(start_at + timing.warmup_s - time.time())
        fault = await SCENARIOS[name](Target(stack, servers, timing.hold_s))
        # The schedule is fixed (beacon seq is due at start_at + seq / rate).
        total = int(timing.rate * timing.duration_s)
        end_seq = min(math.ceil((fault.ended_at - start_at) * timing.rate), total)
        watcher.end_seq = end_seq
        if await asyncio.to_thread(load.wait) != 0:
            raise RuntimeError(f"the load generator failed (exit {load.returncode})")
        drained = await _drained(settings, timing.drain_timeout_s)
    finally:
        stop.set()
        if watching is not None:
            await watching
        if load is not None and load.poll() is None:
            load.kill()
            load.wait()
        stack.stop()
    restarts = stack.log_path.read_text("utf-8", "replace").count(" restarted (pid")
    return Outcome(fault, end_seq, drained, restarts, watcher.samples)


def max_gap(answers: list[list[float]], start: float, timing: Timing) -> float:
    """The longest stretch of the load's window in which no beacon got a 202, seconds."""
    end = start + timing.duration_s
    times = sorted(t for _, status, t in answers if status == ACCEPTED)
    edges = [start, *(t for t in times if start <= t <= end), end]
    return round(max(b - a for a, b in itertools.pairwise(edges)), 2)


def _statuses(answers: list[list[float]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, status, _ in answers:
        counts[str(int(status))] = counts.get(str(int(status)), 0) + 1
    return dict(sorted(counts.items()))


async def _drained(settings: Settings, timeout_s: float) -> bool:
    try:
        await drain(settings, timeout_s)
    except AssertionError:
        return False
    return True


def _start_load(
    port: int, key: str, run: str, *, start_at: float, timing: Timing, out: Path
) -> subprocess.Popen[bytes]:
    """`bench.faults.load` in a process of its own: its CPU is not the services'."""
    command = [
        sys.executable, "-m", "bench.faults.load", "--port", str(port), "--key", key,
        "--run", run, "--origin-ms", str(int(start_at * 1000)), "--rate", str(timing.rate),
        "--duration", str(timing.duration_s), "--start-at", str(start_at), "--out", str(out),
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT)  # noqa: S603 - our own argv, no shell
