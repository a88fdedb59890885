"""Beacons refused for our own faults, logged as one summary line a second, not one each.

During a Redis outage every beacon is refused: a line each was 1,053 lines in 5 s, which
buries everything else and costs CPU when ingest can least spare it. The metrics count
each refusal (telemetry.py); the log says that it is happening and how much: the first
refusal after a quiet second at once, the rest as counts per reason once a second.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections import Counter

import structlog

INTERVAL_S = 1.0


class RefusalLog:
    def __init__(self, interval_s: float = INTERVAL_S) -> None:
        # Bound here, not at import: the logger must use the configuration of the app that
        # owns this log (tests create several apps in one process).
        self._log = structlog.get_logger()
        # A summary speaks for many requests: it is logged in the context this log was made
        # in (the service's), never with the request_id of the request that happened to
        # trigger it.
        self._context = contextvars.copy_context()
        self._interval_s = interval_s
        self._beacons: Counter[str] = Counter()
        self._reports = 0
        self._last_line_at = -interval_s
        self._timer: asyncio.TimerHandle | None = None

    def refused(self, reason: str, reports: int) -> None:
        self._beacons[reason] += 1
        self._reports += reports
        if self._timer is not None:
            return
        wait_s = self._last_line_at + self._interval_s - time.monotonic()
        if wait_s <= 0:
            self.flush()
        else:
            self._timer = asyncio.get_running_loop().call_later(wait_s, self.flush)

    def flush(self) -> None:
        """Logs what was refused since the last line, if anything; also at shutdown."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._beacons:
            self._context.run(self._write)

    def _write(self) -> None:
        self._log.warning(
            "beacons_refused",
            beacons=sum(self._beacons.values()),
            reports=self._reports,
            reasons=dict(self._beacons),
        )
        self._beacons.clear()
        self._reports = 0
        self._last_line_at = time.monotonic()
