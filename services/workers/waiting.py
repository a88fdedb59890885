"""The job class the workers run: it waits out transient failures instead of failing.

A batch that meets an outage (outages.py) keeps its job: the worker takes no other job,
its lease keeps being renewed (worker.LeaseKeeper), and the batch re-runs in-process
with capped exponential backoff until the dependency answers, however long that takes.
Every batch is idempotent, so a re-run after a half-done attempt changes nothing twice.
Contention (a lock or statement timeout) is re-run the same way for CONTENTION_BUDGET_S,
then raised for RQ's retries: by then something other than a stalled peer is at work,
and the other jobs deserve the worker.

A stop request (SIGTERM) ends the wait: the job goes back to the front of the queue
(worker.VitalsWorker), not to the failed registry, and costs no retry.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import structlog
from rq.job import Job

from services.workers.outages import BOARD, is_contention, outage_of

OUTAGE_FIRST_S = 0.5
OUTAGE_MAX_S = 5.0  # a recovered dependency is noticed within this
CONTENTION_FIRST_S = 0.2
CONTENTION_MAX_S = 2.0
# About ten lock timeouts: a stalled peer's session is killed well within this.
CONTENTION_BUDGET_S = 60.0

# Set by the worker when it is asked to stop (one worker per process).
STOP = threading.Event()

log = structlog.get_logger()


class StoppedWhileWaiting(Exception):
    """The worker was asked to stop while its job waited; the job is to be re-queued."""


class Backoff:
    def __init__(self, first_s: float, max_s: float) -> None:
        self.delay_s = first_s
        self.max_s = max_s

    def next(self) -> float:
        delay_s, self.delay_s = self.delay_s, min(self.delay_s * 2, self.max_s)
        return delay_s


class PatientJob(Job):
    def _execute(self) -> Any:
        outage_backoff = Backoff(OUTAGE_FIRST_S, OUTAGE_MAX_S)
        contention_backoff = Backoff(CONTENTION_FIRST_S, CONTENTION_MAX_S)
        contention_until = time.monotonic() + CONTENTION_BUDGET_S
        down: set[str | None] = set()
        while True:
            try:
                result = super()._execute()
            except Exception as exc:
                dependency = outage_of(exc)
                # Failing on something else now, the dependencies that were down answer.
                self._recovered(down - {dependency})
                down &= {dependency}
                if dependency is not None:
                    down.add(dependency)
                    BOARD.failed(dependency, exc)
                    self._wait(outage_backoff.next(), exc)
                elif is_contention(exc) and time.monotonic() < contention_until:
                    log.info("batch_contended", error=f"{exc.__class__.__name__}: {exc}")
                    self._wait(contention_backoff.next(), exc)
                else:
                    raise
            else:
                self._recovered(down)
                return result

    @staticmethod
    def _recovered(dependencies: set[str | None]) -> None:
        for dependency in dependencies:
            if dependency is not None:
                BOARD.recovered(dependency)

    def _wait(self, delay_s: float, cause: Exception) -> None:
        # RQ's job timeout bounds one attempt, not the wait for a dependency: the alarm is
        # paused while waiting and re-armed for the next attempt.
        timed = self.timeout and threading.current_thread() is threading.main_thread()
        if timed:
            signal.alarm(0)
        if STOP.wait(delay_s):
            raise StoppedWhileWaiting(str(cause)) from cause
        if timed:
            signal.alarm(int(self.timeout or 0))
