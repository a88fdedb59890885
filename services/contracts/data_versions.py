"""Data versions: what lets the query cache keep answers for windows that still get data.

Ingest accepts page views up to `time_origin_max_age_s` old, and every late report (a
page view sent late, a CLS or INP re-sent when the page is hidden) lands on its page
view's start. So an answer about a window that ended hours ago can still change. Each
(project, hour of page-view start) has a version in the cache Redis: a random token the
workers replace after every commit that touched that hour, and that the query cache
puts into the key of any answer whose window overlaps hours that can still change.

Why per hour and not one counter per project: with steady traffic a project counter
changes on every batch and would invalidate every recent window; per hour, new data
invalidates only the windows that contain its hour (a window of the last 48 h reads
at most ~50 versions, in one round trip).

Why random tokens in the cache Redis (not INCR in the queue Redis): the cache Redis may
evict or lose keys; a counter that restarted from 0 would bring back entries cached
under its old numbers. A fresh random token never matches an old entry, so a lost
version costs a miss, never a stale answer. Versions live beside the entries they key,
in `VITALS_CACHE_REDIS_URL` (the queue Redis when unset), which workers and query both reach.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

PREFIX = "vitals:data:v1"
HOUR = timedelta(hours=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Beyond ingest's acceptance window: queue latency and RQ's retries (minutes) still land
# data, so a window is final only this much later.
SETTLING = timedelta(hours=1)


def hour_of(instant: datetime) -> int:
    """The hour (seconds since the epoch, a multiple of 3600) an instant falls in."""
    return int((instant - _EPOCH) // HOUR) * 3600


def version_key(project_id: int, hour: int) -> str:
    return f"{PREFIX}:{project_id}:{hour}"


def version_ttl_s(max_age_s: float) -> int:
    """How long a version matters: while its hour can still receive data, plus slack."""
    return int(max_age_s + 2 * SETTLING.total_seconds())
