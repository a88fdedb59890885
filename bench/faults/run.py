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
from bench.faults.scenarios import SCENARIOS, Target
from bench.faults.stack import SupervisedStack
from bench.faults.watch import Watcher, drain_s, max_failed
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


async def run_scenario(servers: PrivateServers, name: str, timing: Timing) -> dict[str, object]:
    await servers.reset()
    world = servers.world
    run = secrets.token_hex(4)  # hex only: it sits in a LIKE pattern
    stack = SupervisedStack(world.settings, name)
    try:
        await asyncio.to_thread(stack.wait_healthy)
        start_at = time.time() + LOAD_START_DELAY_S
        duration_s = timing.warmup_s + timing.hold_s + timing.after_s
        out = OUTPUT / f"bench-faults-{name}-answers.json"
        load = _start_load(
            stack.ingest_port, world.key, run, start_at=start_at, rate=timing.rate,
            duration_s=duration_s, out=out,
        )  # fmt: skip
        watcher = Watcher(world.settings, run)
        stop = asyncio.Event()
        watching = asyncio.create_task(watcher.watch(stop))
        await asyncio.sleep(start_at + timing.warmup_s - time.time())
        fault = await SCENARIOS[name](Target(stack, servers, timing.hold_s))
        # The beacons due before the fault ended (the schedule is fixed: start_at + seq / rate).
        end_seq = min(
            math.ceil((fault.ended_at - start_at) * timing.rate), int(timing.rate * duration_s)
        )
        watcher.end_seq = end_seq
        if await asyncio.to_thread(load.wait) != 0:
            raise RuntimeError(f"the load generator failed (exit {load.returncode})")
        drained = await _drained(world.settings, timing.drain_timeout_s)
        stop.set()
        await watching
        restarts = stack.log_path.read_text("utf-8", "replace").count(" restarted (pid")
    finally:
        stack.stop()
    # The timeline behind drain_s, for whoever wants to see how the queue recovered.
    timeline = {"fault": fault, "end_seq": end_seq, "samples": watcher.samples}
    (OUTPUT / f"bench-faults-{name}-timeline.json").write_bytes(msgspec.json.encode(timeline))
    answers = json.loads(out.read_text())["answers"]
    acknowledged = {seq for seq, status, _ in answers if status == ACCEPTED}
    db = await asyncpg.connect(world.settings.database_url)
    try:
        accounts = await settle(db, run, acknowledged, REPORTS_PER_BEACON)
        final = await stored_before(db, run, end_seq)
    finally:
        await db.close()
    failed_now = (await queue_state(world.settings)).failed
    return {
        "acknowledged": accounts.acknowledged,
        "stored": accounts.stored,
        "lost": accounts.lost,
        "duplicates": accounts.duplicates,
        "rollup_missing": accounts.rollup_missing,
        "stored_not_acknowledged": accounts.stored_not_acknowledged,
        "max_unavailable_s": max_gap(answers, start_at, start_at + duration_s),
        "drain_s": drain_s(watcher.samples, fault.started_at, fault.ended_at, final),
        "drained": drained,
        "failed": max(failed_now, max_failed(watcher.samples)),
        "beacons_sent": len(answers),
        "answers": _statuses(answers),
        "supervisor_restarts": restarts,
        "fault_s": round(fault.ended_at - fault.started_at, 1),
        **fault.notes,
    }


def max_gap(answers: list[list[float]], start: float, end: float) -> float:
    """The longest stretch of the load's window in which no beacon got a 202, seconds."""
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
    port: int, key: str, run: str, *, start_at: float, rate: float, duration_s: float, out: Path
) -> subprocess.Popen[bytes]:
    origin_ms = int(start_at * 1000)
    command = [
        sys.executable, "-m", "bench.faults.load", "--port", str(port), "--key", key,
        "--run", run, "--origin-ms", str(origin_ms), "--rate", str(rate),
        "--duration", str(duration_s), "--start-at", str(start_at), "--out", str(out),
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT)  # noqa: S603 - our own argv, no shell
