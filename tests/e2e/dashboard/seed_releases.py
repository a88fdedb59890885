"""The releases end-to-end data: one shop's LCPs from two releases over the last week,
the newer one slower on /checkout on mobile and nowhere else.

Rows go in as seed.py writes them (tests/query/seeding.py), the rollups are rebuilt, and
the `releases` table gets each release's first and last page view, as the workers keep it
(services/workers/releases.py). Deploy markers are left to the test: it records them with
the `vitals deploy record` command, as a CI job would.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg

from services.contracts.metrics import Device, Metric
from tests.e2e.dashboard.seed import HOST, Seeded, build_rollups
from tests.query.seeding import Seeder, Vital

SEED = 13
OLD, NEW = "2025.06.1", "2025.06.2"
ROUTES = ("/checkout", "/home")
DEVICES = (Device.MOBILE, Device.DESKTOP)
PER_CELL = 300  # LCPs per release, route and device: three times the 100 a verdict needs
SLOWER = 1.4  # NEW on /checkout, mobile: 40 % slower, far beyond the interval at 300 a side
# Each release's page views start at its deploy and last 2.5 days; both fit the 7-day view.
STARTS = {OLD: timedelta(days=6), NEW: timedelta(days=3)}
LIFETIME = timedelta(days=2.5)
# The 7-day charts draw 3-hour buckets (dashboard/src/lib/buckets.ts): a deploy in the
# middle of one is where hovering its marker must show that bucket, not a neighbour's.
BUCKET = timedelta(hours=3)
MEDIAN_LCP = 2000.0


@dataclass(frozen=True)
class Releases(Seeded):
    started: dict[str, datetime] = field(default_factory=dict)  # release -> its first page view


def _values(rng: random.Random, factor: float) -> list[float]:
    """PER_CELL LCPs spread evenly over ±1.2 log units around the median, in random order."""
    values = [
        round(MEDIAN_LCP * factor * math.exp(-1.2 + 2.4 * (i + 0.5) / PER_CELL), 1)
        for i in range(PER_CELL)
    ]
    rng.shuffle(values)
    return values


def _mid_bucket(instant: datetime) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + (instant - epoch) // BUCKET * BUCKET + BUCKET / 2


async def seed_releases(db: asyncpg.Connection, now: datetime | None = None) -> Releases:
    now = now or datetime.now(UTC)
    rng = random.Random(SEED)
    seeder = Seeder(db)
    project_id = await seeder.project("shop")
    pages = {route: await seeder.page(project_id, path=route, host=HOST) for route in ROUTES}
    started = {release: _mid_bucket(now - ago) for release, ago in STARTS.items()}
    rows: list[Vital] = []
    for release, start in started.items():
        for route, page_id in pages.items():
            for device in DEVICES:
                slower = (release, route, device) == (NEW, "/checkout", Device.MOBILE)
                values = _values(rng, SLOWER if slower else 1.0)
                for i, value in enumerate(values):
                    at = start + LIFETIME * (i + 0.5) / PER_CELL
                    rows.append(Vital(project_id, at, Metric.LCP, value, page_id, device=device,
                                      release=release))  # fmt: skip
    await seeder.vitals(rows)
    await build_rollups(db, seeder)
    await db.execute(
        """INSERT INTO releases (project_id, name, first_seen, last_seen)
           SELECT project_id, release, min(time), max(time) FROM vitals
           WHERE project_id = $1 GROUP BY 1, 2""",
        project_id,
    )
    return Releases(project_id, len(rows), len(rows), started)
