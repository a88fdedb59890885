"""The fault bench (bench/faults) in a few seconds: one cheap scenario, end to end."""

from __future__ import annotations

import json

from bench.faults.run import Timing
from bench.faults.suite import Plan, run_suite

# A killed worker: no fault to hold, and the supervisor's restart is the only wait.
KILL_ONE_WORKER = Plan(
    scenarios=("worker_kill9",),
    timings={"worker_kill9": Timing(rate=50, warmup_s=2, hold_s=0, after_s=3, drain_timeout_s=60)},
)


class TestFaultBench:
    async def test_a_quick_worker_kill_is_accounted_for_against_every_202(self) -> None:
        """The bench runs a worker kill under load on its private servers and reports every acknowledged report as stored or lost, the supervisor's restart, and a JSON summary with the headline figures."""
        summary = json.loads(json.dumps(await run_suite(KILL_ONE_WORKER)))  # as printed

        assert {"lost", "duplicates", "max_unavailable_s", "failed"} <= summary.keys()
        figures = summary["scenarios"]["worker_kill9"]
        acknowledged_beacons = figures["answers"].get("202", 0)
        assert acknowledged_beacons > 0
        assert figures["acknowledged"] == 5 * acknowledged_beacons
        assert figures["stored"] + figures["lost"] == figures["acknowledged"]
        assert figures["supervisor_restarts"] >= 1
        assert figures["restarted_after_s"] > 0
