"""Releases in the data (issue 13): the raw rows and the route rollups keep the release a
page view named, exactly, and the `releases` table knows when each was seen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from services.contracts.metrics import Metric
from services.contracts.releases import LAST_SEEN_SLACK as SLACK
from tests.workers.conftest import assert_rollups_exact
from tests.workers.factories import (
    accepted,
    batch,
    beacon,
    create_project,
    now_ms,
    page_view,
    report,
    store,
)


def _ms(at: datetime) -> float:
    return at.timestamp() * 1000


class TestReleaseDimension:
    async def test_raw_rows_and_route_rollups_keep_each_page_views_release(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """Page views of two releases and one of none: raw rows carry the release as sent (NULL
        for none), the route rollups count each release apart ('' for none), and every rollup
        equals a recount of the raw rows."""
        project = await create_project(db)
        views = [
            page_view(project, lcp=1000, release="v1.0.0"),
            page_view(project, lcp=1100, release="v1.0.0"),
            page_view(project, lcp=5000, release="räksmörgås-🚀"),
            page_view(project, lcp=1200),
        ]
        outcome = await store(pool, batch(*views))
        assert outcome.stored == 20
        raw = await db.fetch(
            "SELECT release, count(*) AS n FROM vitals WHERE metric = $1 GROUP BY 1 ORDER BY 1",
            Metric.LCP,
        )
        assert [(r["release"], r["n"]) for r in raw] == [
            ("räksmörgås-🚀", 1), ("v1.0.0", 2), (None, 1),
        ]  # fmt: skip
        held = await db.fetch(
            "SELECT release, sum(samples) AS n FROM vitals_route_daily WHERE metric = $1"
            " GROUP BY 1 ORDER BY 1",
            Metric.LCP,
        )
        assert [(r["release"], r["n"]) for r in held] == [
            ("", 1), ("räksmörgås-🚀", 1), ("v1.0.0", 2),
        ]  # fmt: skip
        await assert_rollups_exact(db)

    async def test_a_re_report_from_another_release_moves_its_sample(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """A later measurement of a metric id that names another release replaces the stored
        one in the route rollups too: the sample leaves the old release's rows, never counted
        in both."""
        project = await create_project(db)
        origin = now_ms() - 60_000
        first = accepted(
            project, beacon(report("CLS", 0.1, "cls-x"), time_origin=origin, release="a")
        )
        later = accepted(
            project, beacon(report("CLS", 0.3, "cls-x"), time_origin=origin, seq=1, release="b")
        )
        await store(pool, batch(first))
        await store(pool, batch(later))
        held = await db.fetch("SELECT release, samples FROM vitals_route_hourly")
        assert [(r["release"], r["samples"]) for r in held] == [("b", 1)]
        await assert_rollups_exact(db)


class TestReleasesTable:
    async def test_first_and_last_seen_follow_the_page_views(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """A release's first page view sets both times; an earlier one moves first_seen back,
        one more than SLACK after last_seen moves it on; beacons without a release add none."""
        project = await create_project(db)
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=20)
        await store(pool, batch(page_view(project, release="v2", time_origin=_ms(start))))
        await store(pool, batch(page_view(project, time_origin=_ms(start))))
        row = await db.fetchrow("SELECT first_seen, last_seen FROM releases")
        assert row is not None and row["first_seen"] == row["last_seen"] == start

        earlier, later = start - timedelta(hours=3), start + SLACK + timedelta(minutes=5)
        await store(pool, batch(
            page_view(project, release="v2", time_origin=_ms(earlier)),
            page_view(project, release="v2", time_origin=_ms(later)),
        ))  # fmt: skip
        rows = await db.fetch("SELECT name, first_seen, last_seen FROM releases")
        assert [tuple(r) for r in rows] == [("v2", earlier, later)]

    async def test_page_views_within_the_slack_leave_the_row_untouched(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """Within SLACK after last_seen a batch does not write the release's row (its xmin stays),
        so concurrent transactions of a live release never wait on it."""
        project = await create_project(db)
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)
        await store(pool, batch(page_view(project, release="v3", time_origin=_ms(start))))
        before = await db.fetchval("SELECT xmin::text FROM releases")
        inside = start + SLACK - timedelta(minutes=1)
        await store(pool, batch(page_view(project, release="v3", time_origin=_ms(inside))))
        assert await db.fetchval("SELECT xmin::text FROM releases") == before
        assert await db.fetchval("SELECT last_seen FROM releases") == start
