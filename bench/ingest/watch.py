"""Watching an end-to-end run from the outside: queue depth, stored count, and when each
tagged beacon's row became visible.

The load generator notes the wall-clock time of each tagged beacon's 202; the watcher
looks the beacon's first metric id up by primary key every POLL_S and notes when it first
became visible. The poll's start time is used, so a row seen there was committed before
it: the lag is overstated by at most POLL_S, never understated.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import redis.asyncio

from bench.ingest import observe
from bench.ingest.beacons import BeaconSet, metric_id
from bench.ingest.cpu import CpuMeter
from bench.ingest.environment import DATABASE
from services.workers.normalize import from_epoch_ms

POLL_S = 0.1
SAMPLE_S = 0.5  # queue depth, stored count and CPU
# Oldest pending tags probed per poll: 1,000 a second against the 100 tagged a second, so
# a backlog clears ten times as fast as it builds. More made the probe itself the load
# (each key is an index probe: 1,000 a poll took ~0.5 cores of PostgreSQL once a stall
# had let tags pile up, which starved the system under test and deepened the stall).
MAX_PROBES = 100
DRAIN_S = 15.0  # after the last send: time for the queue to empty, tags to show up


@dataclass
class Timeline:
    depth: list[tuple[float, int]] = field(default_factory=list)  # (wall time, jobs)
    stored: list[tuple[float, int]] = field(default_factory=list)  # (wall time, reports)
    seen: dict[int, float] = field(default_factory=dict)  # tagged seq -> first visible


class Watcher:
    def __init__(
        self, connection: asyncpg.Connection, client: redis.asyncio.Redis, beacons: BeaconSet,
        project_id: int, *, rate: float, duration_s: float, tag_every: int,
        processes: list[int], cpu: CpuMeter,
    ) -> None:  # fmt: skip
        self._connection = connection
        self._client = client
        self._beacons = beacons
        self._project_id = project_id
        self._rate = rate
        self._total = int(rate * duration_s)
        self._tag_every = tag_every
        self._processes = processes
        self._cpu = cpu
        self.timeline = Timeline()

    async def watch(
        self, load: subprocess.Popen[bytes], out: Path
    ) -> tuple[Timeline, dict[str, Any]]:
        """Until the generator has exited and every accepted tag is visible (or DRAIN_S
        after the exit); returns the timeline and the generator's result."""
        launched = time.monotonic()
        next_tag, pending = 0, []  # tags due and not visible yet, oldest first
        next_sample, sent, exited_at = 0.0, None, None
        while True:
            now = time.monotonic()
            if sent is None and load.poll() is not None:
                if load.returncode != 0:
                    raise RuntimeError(f"the load generator failed (exit {load.returncode})")
                sent, exited_at = _read(out), now
                accepted = {seq for seq, _ in sent["tagged"]}  # a refused beacon is never stored
                pending = [seq for seq in pending if seq in accepted]
                next_tag = self._total
            # Tags fall due as the generator reaches them (it starts ~0.3 s after launch).
            while sent is None and next_tag < min(self._total, (now - launched) * self._rate):
                pending.append(next_tag)
                next_tag += self._tag_every
            pending = await self._probe(pending)
            if now >= next_sample:
                next_sample = now + SAMPLE_S
                await self._sample()
            if exited_at is not None and (not pending or now - exited_at > DRAIN_S):
                await self._sample()
                return self.timeline, sent  # type: ignore[return-value]
            await asyncio.sleep(POLL_S)

    async def _probe(self, pending: list[int]) -> list[int]:
        probe = pending[:MAX_PROBES]
        polled_at = time.time()
        run, origin = self._beacons.run, self._beacons.time_origin_ms
        keys = [(from_epoch_ms(origin(seq)), metric_id(run, seq, 0)) for seq in probe]
        found = await observe.visible(self._connection, self._project_id, keys)
        for seq in probe:
            if metric_id(run, seq, 0) in found:
                self.timeline.seen[seq] = polled_at
        return [seq for seq in pending if seq not in self.timeline.seen]

    async def _sample(self) -> None:
        timeline = self.timeline
        timeline.depth.append((time.time(), await observe.queue_depth(self._client)))
        stored = await observe.stored_reports(self._connection, self._project_id)
        timeline.stored.append((time.time(), stored))
        backends = await observe.backend_pids(self._connection, DATABASE)
        self._cpu.sample([*self._processes, *backends])


def _read(out: Path) -> dict[str, Any]:
    """The generator's result: a small file it wrote just before exiting."""
    result: dict[str, Any] = json.loads(out.read_text())
    return result
