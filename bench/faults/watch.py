"""What the queue and the database looked like twice a second while a scenario ran.

Under steady load the queue is never quite empty (ingest writes jobs continuously and the
workers take them at once), so "drained" means: the backlog is back to what it was
before the fault, and every report of a beacon sent before the fault ended that will
ever be stored is stored. The second half is counted in the database by metric id, which
spells the beacon's sequence number (bench/ingest/beacons.py), zero-padded so that ids
sort as numbers do.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import asyncpg
import msgspec
import redis

from bench.faults.accounting import stored_before
from services.contracts.settings import Settings
from tests.e2e.stack import queue_state

POLL_S = 0.5


class Sample(msgspec.Struct, frozen=True):
    at: float  # wall clock
    backlog: int | None  # jobs waiting, moving or scheduled for a retry; None: Redis down
    failed: int | None
    stored_before_end: int | None  # reports of beacons sent before the fault ended


class Watcher:
    def __init__(self, settings: Settings, run: str) -> None:
        self.settings = settings
        self.run = run
        self.samples: list[Sample] = []
        self.end_seq: int | None = None  # set once the fault has ended
        self._db: asyncpg.Connection | None = None

    async def watch(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                self.samples.append(await self._sample())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), POLL_S)
            # Stopped once the queue drained: the drained state is a sample too, or a
            # drain finished between two polls would not show.
            self.samples.append(await self._sample())
        finally:
            if self._db is not None:
                await self._db.close()

    async def _sample(self) -> Sample:
        at = time.time()
        try:
            state = await queue_state(self.settings)
        except (redis.RedisError, OSError):
            backlog = failed = None
        else:
            backlog, failed = state.queued + state.moving + state.scheduled, state.failed
        return Sample(at, backlog, failed, await self._stored_before_end())

    async def _stored_before_end(self) -> int | None:
        if self.end_seq is None:
            return None
        try:
            if self._db is None:
                self._db = await asyncpg.connect(self.settings.database_url, timeout=2)
            count = await stored_before(self._db, self.run, self.end_seq)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            if self._db is not None:
                self._db.terminate()
            self._db = None
            return None
        return count


def drain_s(
    samples: list[Sample], fault_start: float, fault_end: float, final: int
) -> float | None:
    """Seconds from the fault's end until the backlog was back to its level before the
    fault and `final` reports of beacons sent before the end were stored; None: never."""
    before = [s.backlog for s in samples if s.at < fault_start and s.backlog is not None]
    baseline = max(before, default=0)
    for sample in samples:
        if (
            sample.at >= fault_end
            and sample.backlog is not None
            and sample.backlog <= baseline
            and sample.stored_before_end is not None
            and sample.stored_before_end >= final
        ):
            return round(sample.at - fault_end, 1)
    return None


def max_failed(samples: list[Sample]) -> int:
    return max((s.failed for s in samples if s.failed is not None), default=0)
