"""At most one `vitals` event per project per interval, to this instance's clients only.

Why here and not in the workers: the rate bound holds "whatever the ingest rate" only where
every batch of a project passes one place; workers are many and uncoordinated, while each
realtime instance sees every batch (it follows the whole stream). So each instance merges
per project and emits on a leading-edge throttle: the first batch after a quiet interval
goes out at once (lowest latency), later ones wait for the interval to end and go out
merged (bounded rate, exact sums).

Why emits stay local: every instance reads every batch and serves only its own sockets,
so a client receives each event once however many instances run. Socket.IO's Redis
manager would instead republish each emit to every instance (duplicates), which is why the
server runs without one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import msgspec
import socketio
import structlog

from services.contracts.live import STATUS_EVENT, VITALS_EVENT, LiveBatch, project_room
from services.realtime.aggregate import PendingEvent
from services.realtime.status import StatusTracker

# 4 events/s per project: smooth enough for a live chart, cheap for a thousand sockets.
MIN_INTERVAL_S = 0.25

log = structlog.get_logger()


class Broadcaster:
    def __init__(
        self,
        server: socketio.AsyncServer,
        status: StatusTracker | None = None,
        min_interval_s: float = MIN_INTERVAL_S,
    ) -> None:
        self.server = server
        self.status = status or StatusTracker()
        self.min_interval_s = min_interval_s
        self._pending: dict[int, PendingEvent] = {}
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._last_flush: dict[int, float] = {}
        self._emitting: set[asyncio.Task[None]] = set()

    def deliver(self, batches: Iterable[LiveBatch]) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        for batch in batches:
            project_id = batch.project_id
            pending = self._pending.get(project_id)
            if pending is None:
                pending = self._pending[project_id] = PendingEvent(project_id)
            pending.add(batch)
            if project_id not in self._timers:
                due = self._last_flush.get(project_id, -self.min_interval_s) + self.min_interval_s
                self._timers[project_id] = loop.call_at(max(now, due), self._flush, project_id)

    def _flush(self, project_id: int) -> None:
        loop = asyncio.get_running_loop()
        del self._timers[project_id]
        pending = self._pending.pop(project_id)
        self._last_flush[project_id] = loop.time()
        event = pending.to_batch()
        statuses = self.status.update(event, loop.time())
        payloads = [(VITALS_EVENT, msgspec.to_builtins(event))]
        payloads += [(STATUS_EVENT, msgspec.to_builtins(s)) for s in statuses]
        for status in statuses:
            log.info(
                "status_changed",
                project_id=project_id,
                metric=status.metric,
                rating=status.rating,
                previous=status.previous,
                p75=status.p75,
            )
        task = loop.create_task(self._emit(project_room(project_id), payloads))
        self._emitting.add(task)
        task.add_done_callback(self._emitting.discard)

    async def _emit(self, room: str, payloads: list[tuple[str, Any]]) -> None:
        try:
            for event, data in payloads:
                await self.server.emit(event, data, room=room)
        except Exception:
            # One failed fan-out must not end the live feed; the next event carries on.
            log.exception("live_emit_failed", room=room)

    async def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        if self._emitting:
            await asyncio.wait(self._emitting)
