"""A deterministic set of beacons, as a script of what reaches the workers and in which order.

About 3,000 page views over 70 hours ending near `now`, five metrics, several hosts,
routes, devices, browsers, countries, connections and navigation types, and the awkward
cases the rollups must survive:

- CLS and INP re-reported under the same metric id, grown (replaced) or stale (ignored),
  some twice in one job;
- exact re-sends of whole beacons (a retried sendBeacon or job: duplicates);
- a route change mid-way: a project route rule added, and an SPA that changes the route
  it declares, while re-reports of page views seen under the old route still arrive;
- late page views (5 h, 50 h and 74 h old) arriving last, as a job retried late brings
  them: beyond ingest's 48-hour window and beyond the 3-day refresh window of the
  Timescale edition's old continuous aggregates;
- a `Refresh` half-way, where the edition's scheduled rollup maintenance would have run.

page_views.py draws each page view's beacons.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from services.contracts.queue import AcceptedBeacon, BeaconBatch
from services.workers.routes import RouteRule
from tests.support.same_answers.page_views import PROJECT_IDS, first_and_rereport, page_view

SEED = 20261206
JOB_SIZE = 250  # beacons per job, as ingest's group commit makes them under load
SPLIT = timedelta(hours=35)  # page views older than this arrive before the mid-way refresh
LATE_AGES = (timedelta(hours=5), timedelta(hours=50), timedelta(hours=74))
# Added by the operator half-way: blog posts become one route.
BLOG_RULE = RouteRule(pattern=r"/blog/[^/]+", route="/blog/:slug")


@dataclass(frozen=True)
class Deliver:
    """Jobs the workers process, in this order."""

    label: str
    jobs: list[BeaconBatch]


@dataclass(frozen=True)
class SetRouteRules:
    project_id: int
    rules: list[RouteRule]


@dataclass(frozen=True)
class Refresh:
    """The edition's scheduled rollup maintenance runs (on the Apache edition: nothing)."""


Step = Deliver | SetRouteRules | Refresh


@dataclass
class Traffic:
    now: datetime
    steps: list[Step] = field(default_factory=list)
    page_views: int = 0
    beacons: int = 0
    reports: int = 0


def build(now: datetime, page_views: int = 3000, seed: int = SEED) -> Traffic:
    """The script: old traffic, a refresh, the route change, newer traffic, re-reports and
    re-sends, then late page views."""
    rng = random.Random(seed)
    now_ms = now.timestamp() * 1000
    traffic = Traffic(now)
    views = sorted(
        (page_view(rng, now_ms - rng.uniform(0.25, 70) * 3_600_000) for _ in range(page_views)),
        key=lambda v: v.origin_ms,
    )
    split_ms = now_ms - SPLIT.total_seconds() * 1000

    old: list[AcceptedBeacon] = []  # first beacons of page views before the split
    new: list[AcceptedBeacon] = []  # ... and after it
    later: list[tuple[AcceptedBeacon, AcceptedBeacon]] = []  # (first, grown CLS/INP re-report)
    for view in views:
        is_new = view.origin_ms >= split_ms
        beacon, rereport = first_and_rereport(rng, view, declared_new=is_new)
        (new if is_new else old).append(beacon)
        if rereport is not None:
            later.append((beacon, rereport))
    first = old + new
    traffic.steps.append(Deliver("old page views", _jobs(old)))
    traffic.steps.append(Refresh())
    traffic.steps.append(SetRouteRules(PROJECT_IDS["shop"], [BLOG_RULE]))
    traffic.steps.append(Deliver("new page views", _jobs(new)))

    # Grown CLS/INP (replacing), a few with a stale first report re-sent after them
    # (ignored), some of both in one job; plus exact re-sends of whole beacons.
    rereports: list[AcceptedBeacon] = []
    for beacon, rereport in later:
        rereports.append(rereport)
        if rng.random() < 0.1:
            rereports.append(beacon)
    resends = rng.sample(first, len(first) // 20)
    mixed = rereports + resends
    rng.shuffle(mixed)
    traffic.steps.append(Deliver("re-reports and re-sends", _jobs(mixed)))

    late = [
        first_and_rereport(rng, view, declared_new=True)[0]
        for age in LATE_AGES
        for view in [
            page_view(rng, now_ms - (age.total_seconds() + rng.uniform(0, 600)) * 1000)
            for _ in range(25)
        ]
    ]
    traffic.steps.append(Deliver("late page views", _jobs(late)))

    traffic.page_views = len(views) + len(late)
    delivered = [
        b for s in traffic.steps if isinstance(s, Deliver) for j in s.jobs for b in j.beacons
    ]
    traffic.beacons = len(delivered)
    traffic.reports = sum(len(b.beacon.reports) for b in delivered)
    return traffic


def _jobs(beacons: list[AcceptedBeacon]) -> list[BeaconBatch]:
    return [
        BeaconBatch(beacons=beacons[i : i + JOB_SIZE]) for i in range(0, len(beacons), JOB_SIZE)
    ]


def utc_minute(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(second=0, microsecond=0)
