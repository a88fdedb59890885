"""Storing batches: raw rows once per key, the latest report wins, rollups stay exact."""

from __future__ import annotations

import asyncio
import random

import asyncpg
import pytest

from services.contracts.metrics import Metric, Rating, bin_of
from services.contracts.settings import Settings
from services.workers.projects import ProjectDirectory
from tests.workers.conftest import assert_rollups_exact, rollup_rows
from tests.workers.factories import (
    SAFARI_IPHONE,
    accepted,
    batch,
    beacon,
    create_project,
    now_ms,
    page_view,
    report,
    store,
)


class TestStoreBatch:
    async def test_batch_stores_each_report_once(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """A batch of two page views stores ten rows with server-side ratings, bins and dimensions."""
        project = await create_project(db)
        outcome = await store(
            pool, batch(page_view(project, lcp=4100), page_view(project, user_agent=SAFARI_IPHONE))
        )
        assert (outcome.received, outcome.stored, outcome.replaced, outcome.duplicate) == (
            10,
            10,
            0,
            0,
        )
        rows = await db.fetch(
            "SELECT metric, value, rating, bin, device, browser, os, country, connection FROM vitals WHERE metric = 1 ORDER BY value"
        )
        assert [tuple(r) for r in rows] == [
            (
                Metric.LCP,
                2100.0,
                Rating.GOOD,
                bin_of(Metric.LCP, 2100),
                2,
                "Mobile Safari",
                "iOS",
                "DE",
                "4g",
            ),
            (
                Metric.LCP,
                4100.0,
                Rating.POOR,
                bin_of(Metric.LCP, 4100),
                1,
                "Chrome",
                "Windows",
                "DE",
                "4g",
            ),
        ]
        pages = await db.fetch("SELECT project_id, host, path, route FROM pages")
        assert [tuple(p) for p in pages] == [
            (project, "shop.example", "/products/123", "/products/:id")
        ]
        await assert_rollups_exact(db)

    async def test_rerunning_a_batch_changes_nothing(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """Running the same batch again stores nothing new, counts every report as a duplicate and leaves rollups alone."""
        project = await create_project(db)
        b = batch(page_view(project), page_view(project))
        await store(pool, b)
        before = [tuple(r) for r in await db.fetch("SELECT * FROM vitals ORDER BY metric_id")]
        hourly = await rollup_rows(db, "vitals_hourly")
        again = await store(pool, b)
        assert (again.stored, again.replaced, again.duplicate) == (0, 0, 10)
        assert [
            tuple(r) for r in await db.fetch("SELECT * FROM vitals ORDER BY metric_id")
        ] == before
        assert await rollup_rows(db, "vitals_hourly") == hourly
        assert await db.fetchval("SELECT count(*) FROM pages") == 1

    async def test_later_cls_report_replaces_and_rollups_count_only_it(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """A CLS re-report with the same id and a larger value replaces the row; rollups move its sample to the new bin and rating."""
        project = await create_project(db)
        origin = now_ms() - 60_000
        first = accepted(
            project,
            beacon(report("CLS", 0.05, "cls-1"), time_origin=origin),
            received_at=origin + 1_000,
        )
        later = accepted(
            project,
            beacon(report("CLS", 0.3, "cls-1"), time_origin=origin),
            received_at=origin + 9_000,
        )
        await store(pool, batch(first))
        outcome = await store(pool, batch(later))
        assert (outcome.stored, outcome.replaced, outcome.duplicate) == (0, 1, 0)
        rows = await db.fetch("SELECT value, rating, bin FROM vitals")
        assert [tuple(r) for r in rows] == [(0.3, Rating.POOR, bin_of(Metric.CLS, 0.3))]
        hourly = await db.fetch("SELECT rating, bin, samples FROM vitals_hourly")
        assert [tuple(r) for r in hourly] == [(Rating.POOR, bin_of(Metric.CLS, 0.3), 1)]
        await assert_rollups_exact(db)

    async def test_older_report_arriving_late_is_a_duplicate(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """A report received earlier than the stored one (a retried old job) does not overwrite it."""
        project = await create_project(db)
        origin = now_ms() - 60_000
        newer = accepted(
            project,
            beacon(report("INP", 350, "inp-1"), time_origin=origin),
            received_at=origin + 9_000,
        )
        older = accepted(
            project,
            beacon(report("INP", 120, "inp-1"), time_origin=origin),
            received_at=origin + 1_000,
        )
        await store(pool, batch(newer))
        outcome = await store(pool, batch(older))
        assert (outcome.stored, outcome.replaced, outcome.duplicate) == (0, 0, 1)
        assert await db.fetchval("SELECT value FROM vitals") == 350
        await assert_rollups_exact(db)

    async def test_reports_of_one_key_in_one_batch_keep_the_latest(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """Two reports of one metric id in the same batch store the later one and count the other as a duplicate."""
        project = await create_project(db)
        origin = now_ms() - 60_000
        b = batch(
            accepted(
                project,
                beacon(report("CLS", 0.4, "cls-1"), time_origin=origin),
                received_at=origin + 9_000,
            ),
            accepted(
                project,
                beacon(report("CLS", 0.02, "cls-1"), time_origin=origin),
                received_at=origin + 1_000,
            ),
        )
        outcome = await store(pool, b)
        assert (outcome.stored, outcome.replaced, outcome.duplicate) == (1, 0, 1)
        assert await db.fetchval("SELECT value FROM vitals") == 0.4
        await assert_rollups_exact(db)

    async def test_rollup_rows_that_reach_zero_are_deleted(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """When a replaced value leaves its old rollup group empty, that group's row is deleted (as a continuous aggregate would not have it)."""
        project = await create_project(db)
        origin = now_ms() - 60_000
        await store(
            pool,
            batch(
                accepted(
                    project,
                    beacon(report("LCP", 1000, "lcp-1"), time_origin=origin),
                    received_at=origin + 1,
                )
            ),
        )
        await store(
            pool,
            batch(
                accepted(
                    project,
                    beacon(report("LCP", 5000, "lcp-1"), time_origin=origin),
                    received_at=origin + 2,
                )
            ),
        )
        assert await db.fetchval("SELECT count(*) FROM vitals_hourly WHERE samples = 0") == 0
        assert await db.fetchval("SELECT count(*) FROM vitals_daily") == 1
        await assert_rollups_exact(db)

    async def test_unknown_project_is_dropped_with_a_reason(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """Reports of a project deleted after ingest accepted them are dropped as unknown_project; the rest of the batch is stored."""
        project = await create_project(db)
        outcome = await store(pool, batch(page_view(project), page_view(project + 1000)))
        assert outcome.dropped == {"unknown_project": 5}
        assert (outcome.stored, outcome.duplicate) == (5, 0)
        assert await db.fetchval("SELECT count(DISTINCT project_id) FROM vitals") == 1

    async def test_project_route_rules_name_the_route(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """A project's route rule wins over the generic id patterns when the page is stored."""
        project = await create_project(
            db, route_rules='[{"pattern": "/products/.*", "route": "/products/:slug"}]'
        )
        await store(pool, batch(page_view(project)))
        assert await db.fetchval("SELECT route FROM pages") == "/products/:slug"

    async def test_a_route_change_keeps_stored_samples_on_their_route(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """After a route rule changes, samples written before keep the old route and new ones take the new; a re-report moves its sample to the route of its write, and every rollup equals a recount of raw rows joined to their pages."""
        project = await create_project(db)
        origin = now_ms() - 3_600_000
        before = accepted(
            project,
            beacon(report("CLS", 0.02, "cls-a"), report("LCP", 900), time_origin=origin),
            received_at=origin + 1,
        )
        await store(pool, batch(before))
        await db.execute(
            """UPDATE projects SET route_rules = '[{"pattern": "/products/.*", "route": "/products/:slug"}]' WHERE id = $1""",
            project,
        )
        regrown = accepted(
            project, beacon(report("CLS", 0.3, "cls-a"), time_origin=origin), received_at=origin + 5
        )
        await store(pool, batch(page_view(project), regrown))
        pages = await db.fetch("SELECT path, route FROM pages ORDER BY id")
        assert [tuple(p) for p in pages] == [
            ("/products/123", "/products/:id"),
            ("/products/123", "/products/:slug"),
        ]
        routes = await db.fetch(
            "SELECT v.metric_id, p.route FROM vitals v JOIN pages p ON p.id = v.page_id"
        )
        by_id = {r["metric_id"]: r["route"] for r in routes}
        assert by_id["cls-a"] == "/products/:slug"
        assert sorted(by_id.values()).count("/products/:id") == 1  # the first LCP stays
        await assert_rollups_exact(db)


class TestConcurrentRuns:
    async def test_two_runs_of_the_same_batch_at_once_store_once(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """The same batch stored by two connections at the same time ends with each row once and exact rollups."""
        project = await create_project(db)
        b = batch(*(page_view(project, lcp=1000 + 37 * i) for i in range(100)))
        first, second = await asyncio.gather(store(pool, b), store(pool, b))
        assert sorted([first.stored, second.stored]) == [0, 500]
        assert first.duplicate + second.duplicate == 500
        assert await db.fetchval("SELECT count(*) FROM vitals") == 500
        await assert_rollups_exact(db)

    async def test_two_batches_of_one_project_write_side_by_side(
        self, pool: asyncpg.Pool, db: asyncpg.Connection, settings: Settings
    ) -> None:
        """With the rollups held by another session, two batches of one project's known pages both get through their raw rows and wait at the rollups, not for each other; released, both store every report and the rollups are exact."""
        project = await create_project(db)
        # A page's first sighting is the one write that makes a concurrent batch wait.
        await store(pool, batch(page_view(project)))
        batches = [
            batch(*(page_view(project, lcp=1000 * n + i) for i in range(20))) for n in (1, 2)
        ]
        blocker = await asyncpg.connect(settings.database_url)
        try:
            await blocker.execute("BEGIN; LOCK TABLE vitals_daily IN SHARE MODE")
            runs = [asyncio.create_task(store(pool, b)) for b in batches]
            assert await _waits_within(db, 10.0) == ["relation", "relation"]
            await blocker.execute("ROLLBACK")
            outcomes = await asyncio.gather(*runs)
        finally:
            await blocker.close()
        assert [o.stored for o in outcomes] == [100, 100]
        assert await db.fetchval("SELECT count(*) FROM vitals") == 205
        await assert_rollups_exact(db)

    @pytest.mark.parametrize("seed", [1, 2])
    async def test_racing_re_reports_keep_rollups_exact(
        self, pool: asyncpg.Pool, db: asyncpg.Connection, seed: int
    ) -> None:
        """Eight concurrent batches re-reporting the same CLS ids with different values and arrival times leave one row per id, the latest value, and rollups equal to a recount."""
        rng = random.Random(seed)
        projects = [await create_project(db, f"p{i}") for i in range(2)]
        origin = now_ms() - 60_000
        keys = [(rng.choice(projects), origin + k, f"cls-{k}") for k in range(150)]
        batches, latest = [], {}
        for n in range(8):
            beacons = []
            for project, time_origin, metric_id in rng.sample(keys, 100):
                received, value = origin + rng.randrange(1, 50_000), round(rng.uniform(0, 0.5), 3)
                beacons.append(
                    accepted(
                        project,
                        beacon(
                            report("CLS", value, metric_id),
                            time_origin=time_origin,
                            url=f"https://shop.example/p/{n % 3}",
                        ),
                        received_at=received,
                        user_agent=rng.choice([SAFARI_IPHONE, ""]),
                    )
                )
                key = (project, metric_id)
                latest[key] = max(latest.get(key, (0.0, 0.0)), (received, value))
            batches.append(batch(*beacons))
        await asyncio.gather(*(store(pool, b) for b in batches))
        stored = {
            (r["project_id"], r["metric_id"]): r["value"]
            for r in await db.fetch("SELECT project_id, metric_id, value FROM vitals")
        }
        assert stored == {key: value for key, (_, value) in latest.items()}
        await assert_rollups_exact(db)


async def _waits_within(db: asyncpg.Connection, timeout_s: float) -> list[str]:
    """What the workers' connections wait for, once two of them wait on a lock."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        waits: list[str] = [
            r["wait_event"]
            for r in await db.fetch(
                "SELECT wait_event FROM pg_stat_activity"
                " WHERE application_name = 'vitals.workers-test' AND wait_event_type = 'Lock'"
            )
        ]
        if len(waits) >= 2 or asyncio.get_running_loop().time() > deadline:
            return sorted(waits)
        await asyncio.sleep(0.05)


class TestProjectDirectory:
    async def test_rules_and_existence_are_cached_for_the_ttl(self, db: asyncpg.Connection) -> None:
        """A route-rule change and a project created after a miss become visible only once the cached entry is older than the TTL."""
        now = [0.0]
        directory = ProjectDirectory(ttl_s=30, clock=lambda: now[0])
        project = await create_project(db)
        cached = await directory.lookup(db, [project, project + 1])
        assert cached[project] is not None and cached[project].rules == []
        assert cached[project + 1] is None
        await db.execute(
            """UPDATE projects SET route_rules = '[{"pattern": "/p/.*", "route": "/p/*"}]' WHERE id = $1""",
            project,
        )
        assert await create_project(db, "other") == project + 1
        now[0] = 29.0
        still = await directory.lookup(db, [project, project + 1])
        assert still[project].rules == [] and still[project + 1] is None  # type: ignore[union-attr]
        now[0] = 31.0
        fresh = await directory.lookup(db, [project, project + 1])
        assert [r.route for r in fresh[project].rules] == ["/p/*"]  # type: ignore[union-attr]
        assert fresh[project + 1] is not None
