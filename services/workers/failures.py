"""Counting the reports of jobs that RQ gives up on (the `failed` outcome).

RQ calls its exception handlers for every failed attempt, and for an abandoned job (its
worker died) from whichever worker's maintenance finds it. Only the attempt after which
no retry is left makes the reports `failed`: earlier attempts may still store them.
"""

from __future__ import annotations

from types import TracebackType

import msgspec
import structlog
from rq.job import Job

from services.contracts.queue import BEACONS_RECEIVED, decode_batch
from services.workers import counters

log = structlog.get_logger()


def count_terminal_failure(
    job: Job,
    exc_type: type[BaseException] | None,
    exc_value: BaseException | None,
    traceback: TracebackType | None,
) -> bool:
    if job.retries_left:
        return True  # RQ retries it; its reports are not lost yet
    try:
        if job.func_name != BEACONS_RECEIVED:
            return True
        reports = _reports_in(job.args[0])
    except Exception:  # an undecodable job is still a failed batch
        reports = 0
    counters.record_failure(reports)
    log.error(
        "batch_failed",
        job_id=job.id,
        reports=reports,
        error=f"{exc_type.__name__ if exc_type else 'unknown'}: {exc_value}",
    )
    return True  # let RQ's own handling park it in the failed registry


def _reports_in(payload: object) -> int:
    if not isinstance(payload, str | bytes):
        return 0
    try:
        return sum(len(b.beacon.reports) for b in decode_batch(payload).beacons)
    except msgspec.MsgspecError:
        return 0
