"""Test data for the read path, written straight into the tables the workers fill.

Until an end-to-end test drives the real write path, rows go into `vitals` and `pages`
directly, with rating and bin computed by contracts.metrics exactly as workers do, and the
rollups are rebuilt from raw rows: recounted on the Apache edition, refreshed on the
Timescale edition.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from services.contracts.metrics import Device, Metric, bin_of, rating

_ids = itertools.count()

VITALS_COLUMNS = (
    "project_id", "time", "metric_id", "metric", "value", "rating", "bin", "page_id", "device",
    "browser", "os", "country", "connection", "navigation_type", "attr_target", "attr_url",
    "attr_kind", "attr_phase1", "attr_phase2", "attr_phase3", "attr_phase4", "release",
)  # fmt: skip

# Every rollup, rebuilt from its source the way the Apache edition's workers keep it.
RECOUNT = (
    """INSERT INTO vitals_hourly (bucket, project_id, metric, page_id, device, rating, bin, samples)
       SELECT time_bucket('1 hour', time), project_id, metric, page_id, device, rating, bin, count(*)
       FROM vitals GROUP BY 1, 2, 3, 4, 5, 6, 7""",
    """INSERT INTO vitals_daily (bucket, project_id, metric, page_id, device, rating, bin, samples)
       SELECT time_bucket('1 day', bucket), project_id, metric, page_id, device, rating, bin, sum(samples)
       FROM vitals_hourly GROUP BY 1, 2, 3, 4, 5, 6, 7""",
    """INSERT INTO vitals_totals_hourly (bucket, project_id, metric, rating, bin, samples)
       SELECT time_bucket('1 hour', time), project_id, metric, rating, bin, count(*)
       FROM vitals GROUP BY 1, 2, 3, 4, 5""",
    """INSERT INTO vitals_totals_daily (bucket, project_id, metric, rating, bin, samples)
       SELECT time_bucket('1 day', bucket), project_id, metric, rating, bin, sum(samples)
       FROM vitals_totals_hourly GROUP BY 1, 2, 3, 4, 5""",
    """INSERT INTO vitals_device_hourly (bucket, project_id, metric, device, rating, bin, samples)
       SELECT time_bucket('1 hour', time), project_id, metric, device, rating, bin, count(*)
       FROM vitals GROUP BY 1, 2, 3, 4, 5, 6""",
    """INSERT INTO vitals_device_daily (bucket, project_id, metric, device, rating, bin, samples)
       SELECT time_bucket('1 day', bucket), project_id, metric, device, rating, bin, sum(samples)
       FROM vitals_device_hourly GROUP BY 1, 2, 3, 4, 5, 6""",
    """INSERT INTO vitals_route_hourly (bucket, project_id, metric, route, device, release, rating, bin, samples)
       SELECT time_bucket('1 hour', v.time), v.project_id, v.metric, p.route, v.device, coalesce(v.release, ''), v.rating, v.bin, count(*)
       FROM vitals AS v JOIN pages AS p ON p.id = v.page_id GROUP BY 1, 2, 3, 4, 5, 6, 7, 8""",
    """INSERT INTO vitals_route_daily (bucket, project_id, metric, route, device, release, rating, bin, samples)
       SELECT time_bucket('1 day', bucket), project_id, metric, route, device, release, rating, bin, sum(samples)
       FROM vitals_route_hourly GROUP BY 1, 2, 3, 4, 5, 6, 7, 8""",
    """INSERT INTO vitals_release_routes (project_id, release, metric, route, device, rating, bin, samples)
       SELECT project_id, release, metric, route, device, rating, bin, sum(samples)
       FROM vitals_route_hourly WHERE release <> '' GROUP BY 1, 2, 3, 4, 5, 6, 7""",
    """INSERT INTO vitals_client_hourly (bucket, project_id, metric, device, browser, country, rating, bin, samples)
       SELECT time_bucket('1 hour', time), project_id, metric, device, browser, country, rating, bin, count(*)
       FROM vitals GROUP BY 1, 2, 3, 4, 5, 6, 7, 8""",
    """INSERT INTO vitals_client_daily (bucket, project_id, metric, device, browser, country, rating, bin, samples)
       SELECT time_bucket('1 day', bucket), project_id, metric, device, browser, country, rating, bin, sum(samples)
       FROM vitals_client_hourly GROUP BY 1, 2, 3, 4, 5, 6, 7, 8""",
)
# Sources before the rollups built on them (the refresh order on the Timescale edition).
ROLLUPS = (
    "vitals_hourly", "vitals_daily", "vitals_totals_hourly", "vitals_totals_daily",
    "vitals_device_hourly", "vitals_device_daily", "vitals_route_hourly", "vitals_route_daily",
    "vitals_client_hourly", "vitals_client_daily",
)  # fmt: skip
# The release comparison's rollup (migration 0016): no time column, so no chunks; built
# from the hourly route rollup above.
RELEASE_ROLLUP = "vitals_release_routes"
ROLLUP_TABLES = (*ROLLUPS, RELEASE_ROLLUP)


@dataclass
class Vital:
    """One raw row; rating and bin follow from metric and value."""

    project_id: int
    time: datetime
    metric: Metric
    value: float
    page_id: int
    device: Device = Device.MOBILE
    browser: str = "Chrome"
    os: str = "Android"
    country: str = "US"
    connection: str = "4g"
    navigation_type: int = 0
    attr_target: str = ""
    attr_url: str = ""
    attr_kind: str = ""
    phases: tuple[float | None, ...] = (None, None, None, None)
    release: str | None = None
    metric_id: str = field(default_factory=lambda: f"v6-test-{next(_ids)}")

    def record(self) -> tuple[object, ...]:
        return (
            self.project_id, self.time, self.metric_id, int(self.metric), self.value,
            int(rating(self.metric, self.value)), bin_of(self.metric, self.value), self.page_id,
            int(self.device), self.browser, self.os, self.country, self.connection,
            self.navigation_type, self.attr_target, self.attr_url, self.attr_kind, *self.phases,
            self.release,
        )  # fmt: skip


class Seeder:
    def __init__(self, db: asyncpg.Connection) -> None:
        self.db = db

    async def project(self, slug: str = "shop") -> int:
        project_id: int = await self.db.fetchval(
            "INSERT INTO projects (slug, name) VALUES ($1, $1) RETURNING id", slug
        )
        return project_id

    async def page(
        self, project_id: int, path: str = "/", route: str | None = None,
        host: str = "shop.example",
    ) -> int:  # fmt: skip
        page_id: int = await self.db.fetchval(
            "INSERT INTO pages (project_id, host, path, route) VALUES ($1, $2, $3, $4) RETURNING id",
            project_id, host, path, route or path,
        )  # fmt: skip
        return page_id

    async def vitals(self, rows: list[Vital]) -> None:
        await self.db.copy_records_to_table(
            "vitals", records=[row.record() for row in rows], columns=VITALS_COLUMNS
        )

    async def recount(self) -> None:
        """Rebuild every rollup from the raw rows, into exactly the rows the workers keep."""
        await self.db.execute(f"TRUNCATE {', '.join(ROLLUP_TABLES)}")
        for statement in RECOUNT:
            await self.db.execute(statement)
