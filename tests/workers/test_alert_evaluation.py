"""The alert evaluator on the real database: rules read from the rollups, stepped through
ok → firing → resolved with hysteresis and cooldown, every transition in the history with
one outbox row per destination, and one evaluator at a time."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.contracts.metrics import Device, Metric, bin_of, rating
from services.contracts.settings import Settings
from services.workers.alerts.evaluate import evaluate_all
from services.workers.batches import process_batch
from services.workers.projects import ProjectDirectory
from tests.workers.factories import (
    SAFARI_IPHONE,
    accepted,
    batch,
    beacon,
    create_project,
    now_ms,
    report,
)

LATER = timedelta(minutes=11)  # past the default resolve-after period (10 minutes)


async def send_lcp(
    pool: asyncpg.Pool, project: int, values: list[float], *, user_agent: str | None = None,
    country: str = "DE",
) -> None:  # fmt: skip
    """One page view per value, each reporting LCP, through the workers' own path."""
    extra = {} if user_agent is None else {"user_agent": user_agent}
    beacons = [
        accepted(project, beacon(report("LCP", v)), country=country, **extra) for v in values
    ]
    await process_batch(pool, ProjectDirectory(), batch(*beacons))


async def insert_rule(db: asyncpg.Connection, project: int, **columns: Any) -> int:
    names = ", ".join(columns)
    marks = ", ".join(f"${i}" for i in range(2, len(columns) + 2))
    rule_id: int = await db.fetchval(
        f"INSERT INTO alert_rules (project_id, {names}) VALUES ($1, {marks}) RETURNING id",
        project, *columns.values(),
    )  # fmt: skip
    return rule_id


async def threshold_rule(db: asyncpg.Connection, project: int, **fields: Any) -> int:
    return await insert_rule(db, project, **{
        "name": "slow LCP", "kind": "threshold", "metric": "LCP", "statistic": "p75",
        "comparison": "above", "threshold": 2500.0, "window_minutes": 60, "min_samples": 20,
        **fields,
    })  # fmt: skip


async def destination(db: asyncpg.Connection, project: int, name: str = "ops") -> int:
    destination_id: int = await db.fetchval(
        "INSERT INTO alert_destinations (project_id, name, url, secret)"
        " VALUES ($1, $2, 'https://hooks.example.com/x', $3) RETURNING id",
        project, name, "vwh_" + secrets.token_urlsafe(32),
    )  # fmt: skip
    return destination_id


async def events(db: asyncpg.Connection, rule_id: int) -> list[str]:
    rows = await db.fetch(
        "SELECT transition FROM alert_events WHERE rule_id = $1 ORDER BY id", rule_id
    )
    return [r["transition"] for r in rows]


async def state(db: asyncpg.Connection, rule_id: int) -> asyncpg.Record:
    row = await db.fetchrow("SELECT * FROM alert_states WHERE rule_id = $1", rule_id)
    assert row is not None
    return row


async def now(db: asyncpg.Connection) -> datetime:
    value: datetime = await db.fetchval("SELECT now()")
    return value


class TestThreshold:
    async def test_fires_once_notifies_every_destination_and_resolves_after_recovery(
        self, pool: asyncpg.Pool, db: asyncpg.Connection, settings: Settings
    ) -> None:
        """Slow traffic fires once (two cycles, one transition) with a delivery per
        destination; recovered traffic resolves only after the resolve-after period."""
        project = await create_project(db)
        rule = await threshold_rule(db, project)
        await destination(db, project, "ops")
        await destination(db, project, "slack")
        await send_lcp(pool, project, [4000.0] * 30)
        first = await evaluate_all(pool, settings)
        again = await evaluate_all(pool, settings)
        assert (first.transitions, first.notifications, again.transitions) == (1, 2, 0)
        assert await events(db, rule) == ["firing"]
        fired = await state(db, rule)
        assert fired["state"] == "firing" and fired["value"] == pytest.approx(4000, rel=0.03)
        details = await db.fetchval("SELECT details FROM alert_events WHERE rule_id = $1", rule)
        assert '"threshold": 2500.0' in details and '"samples": 30' in details
        assert "view=trends" in details and "metric=LCP" in details
        # Fast traffic brings the p75 under 2,250 (the 10 % margin): recovering, not yet resolved.
        await send_lcp(pool, project, [1000.0] * 90)
        t0 = await now(db)
        await evaluate_all(pool, settings, now=t0)
        assert (await state(db, rule))["recovering_since"] == t0
        assert await events(db, rule) == ["firing"]
        resolved = await evaluate_all(pool, settings, now=t0 + LATER)
        assert resolved.transitions == 1 and resolved.notifications == 2
        assert await events(db, rule) == ["firing", "resolved"]
        deliveries = await db.fetchval("SELECT count(*) FROM alert_deliveries")
        assert deliveries == 4  # two transitions × two destinations

    async def test_inside_the_hysteresis_margin_keeps_firing(
        self, pool: asyncpg.Pool, db: asyncpg.Connection, settings: Settings
    ) -> None:
        """Under the threshold but within its margin (2,250-2,500 ms) is not recovered:
        the recovery clock does not start and the rule does not resolve."""
        project = await create_project(db)
        rule = await threshold_rule(db, project)
        await send_lcp(pool, project, [3000.0] * 20)
        await evaluate_all(pool, settings)
        await send_lcp(pool, project, [2400.0] * 200)
        t0 = await now(db)
        for minutes in (0, 11, 30):
            await evaluate_all(pool, settings, now=t0 + timedelta(minutes=minutes))
        assert await events(db, rule) == ["firing"]
        assert (await state(db, rule))["recovering_since"] is None

    async def test_too_few_samples_never_fire(
        self, pool: asyncpg.Pool, db: asyncpg.Connection, settings: Settings
    ) -> None:
        project = await create_project(db)
        rule = await threshold_rule(db, project, min_samples=50)
        await send_lcp(pool, project, [9000.0] * 49)
        report_ = await evaluate_all(pool, settings)
        assert report_.transitions == 0 and await events(db, rule) == []
        assert (await state(db, rule))["samples"] == 49

    async def test_cooldown_holds_a_second_firing(
        self, pool: asyncpg.Pool, db: asyncpg.Connection, settings: Settings
    ) -> None:
        """Resolved, then slow again within the cooldown: quiet; after it: fires again."""
        project = await create_project(db)
        rule = await threshold_rule(db, project, cooldown_minutes=30, resolve_after_minutes=0)
        await send_lcp(pool, project, [4000.0] * 20)
        t0 = await now(db)
        await evaluate_all(pool, settings, now=t0)
        await send_lcp(pool, project, [1000.0] * 200)
        await evaluate_all(pool, settings, now=t0 + timedelta(minutes=1))
        assert await events(db, rule) == ["firing", "resolved"]
        await send_lcp(pool, project, [9000.0] * 400)
        await evaluate_all(pool, settings, now=t0 + timedelta(minutes=10))
        assert await events(db, rule) == ["firing", "resolved"]
        await evaluate_all(pool, settings, now=t0 + timedelta(minutes=32))
        assert await events(db, rule) == ["firing", "resolved", "firing"]

    async def test_filters_read_only_their_traffic(
        self, pool: asyncpg.Pool, db: asyncpg.Connection, settings: Settings
    ) -> None:
        """Slow on iPhones in France only: the mobile rule, the French rule and the
        route-and-country rule (raw rows) fire; the desktop and German rules do not."""
        project = await create_project(db)
        await send_lcp(pool, project, [5000.0] * 30, user_agent=SAFARI_IPHONE, country="FR")
        await send_lcp(pool, project, [1200.0] * 30, country="DE")
        route = await db.fetchval("SELECT route FROM pages WHERE project_id = $1", project)
        fire = [
            await threshold_rule(db, project, name="mobile", device="mobile"),
            await threshold_rule(db, project, name="france", country="FR"),
            await threshold_rule(db, project, name="route in france", route=route, country="FR"),
        ]
        quiet = [
            await threshold_rule(db, project, name="desktop", device="desktop"),
            await threshold_rule(db, project, name="germany", country="DE"),
        ]
        await evaluate_all(pool, settings)
        assert [await events(db, r) for r in fire] == [["firing"]] * 3
        assert [await events(db, r) for r in quiet] == [[]] * 2

    async def test_good_share_below(
        self, pool: asyncpg.Pool, db: asyncpg.Connection, settings: Settings
    ) -> None:
        project = await create_project(db)
        rule = await threshold_rule(db, project, statistic="good_share", comparison="below",
                                    threshold=0.75)  # fmt: skip
        await send_lcp(pool, project, [1000.0] * 10 + [5000.0] * 20)
        await evaluate_all(pool, settings)
        assert await events(db, rule) == ["firing"]
        assert (await state(db, rule))["value"] == pytest.approx(1 / 3)


class TestOneEvaluator:
    async def test_concurrent_cycles_make_one_transition(
        self, pool: asyncpg.Pool, db: asyncpg.Connection, settings: Settings
    ) -> None:
        """Four cycles at once (four workers took the job): one transition, one delivery."""
        project = await create_project(db)
        rule = await threshold_rule(db, project)
        await destination(db, project)
        await send_lcp(pool, project, [4000.0] * 30)
        reports = await asyncio.gather(*(evaluate_all(pool, settings) for _ in range(4)))
        assert sum(r.transitions for r in reports) == 1
        assert await events(db, rule) == ["firing"]
        assert await db.fetchval("SELECT count(*) FROM alert_deliveries") == 1

    async def test_a_held_lock_skips_the_cycle(
        self, pool: asyncpg.Pool, db: asyncpg.Connection, settings: Settings
    ) -> None:
        """While another session (another machine's worker) holds the lock, a cycle does
        nothing; once it lets go, the next cycle runs."""
        project = await create_project(db)
        rule = await threshold_rule(db, project)
        await send_lcp(pool, project, [4000.0] * 30)
        await db.execute("SELECT pg_advisory_lock($1, $2)", 0x76697461, 0x616C7274)
        skipped = await evaluate_all(pool, settings)
        await db.execute("SELECT pg_advisory_unlock($1, $2)", 0x76697461, 0x616C7274)
        assert not skipped.ran and await events(db, rule) == []
        assert (await evaluate_all(pool, settings)).transitions == 1


class TestSilence:
    async def seed_earlier_weeks(
        self, db: asyncpg.Connection, project: int, at: datetime, reports: int
    ) -> None:
        """`reports` page views in the same hour of each of the four weeks before."""
        for week in range(1, 5):
            hour = (at - timedelta(weeks=week)).replace(minute=0, second=0, microsecond=0)
            for table, bucket in (
                ("vitals_totals_hourly", hour),
                ("vitals_totals_daily", hour.replace(hour=0)),
            ):
                await db.execute(
                    f"INSERT INTO {table} (bucket, project_id, metric, rating, bin, samples)"
                    " VALUES ($1, $2, $3, 0, 100, $4)",
                    bucket, project, int(Metric.LCP), reports,
                )  # fmt: skip

    async def silence_rule(self, db: asyncpg.Connection, project: int) -> int:
        return await insert_rule(db, project, name="no beacons", kind="silence",
                                 silence_minutes=30, resolve_after_minutes=0)  # fmt: skip

    async def test_traffic_that_stops_fires_and_returning_traffic_resolves(
        self, pool: asyncpg.Pool, db: asyncpg.Connection, settings: Settings
    ) -> None:
        project = await create_project(db)
        rule = await self.silence_rule(db, project)
        t0 = await now(db)
        await self.seed_earlier_weeks(db, project, t0, reports=500)
        await evaluate_all(pool, settings, now=t0)
        assert await events(db, rule) == ["firing"]
        await send_lcp(pool, project, [1000.0])
        await evaluate_all(pool, settings, now=t0 + timedelta(minutes=1))
        assert await events(db, rule) == ["firing", "resolved"]

    async def test_a_site_quiet_at_this_hour_every_week_stays_ok(
        self, pool: asyncpg.Pool, db: asyncpg.Connection, settings: Settings
    ) -> None:
        """Quiet every night: the earlier weeks' same hours had almost nothing."""
        project = await create_project(db)
        rule = await self.silence_rule(db, project)
        t0 = await now(db)
        await self.seed_earlier_weeks(db, project, t0, reports=3)
        await evaluate_all(pool, settings, now=t0)
        assert await events(db, rule) == []
        assert (await state(db, rule))["state"] == "ok"


class TestRegression:
    async def seed_release(
        self, db: asyncpg.Connection, project: int, name: str, first_seen: datetime,
        lcp_median: float,
    ) -> None:  # fmt: skip
        """400 mobile page views on /checkout, LCP spread ±30 % around the median."""
        await db.execute(
            "INSERT INTO releases (project_id, name, first_seen, last_seen) VALUES ($1, $2, $3, $3)",
            project, name, first_seen,
        )  # fmt: skip
        counts: dict[tuple[int, int], int] = {}
        for i in range(400):
            value = lcp_median * (0.7 + 0.6 * i / 399)
            key = (bin_of(Metric.LCP, value), int(rating(Metric.LCP, value)))
            counts[key] = counts.get(key, 0) + 1
        for (bin_index, rated), samples in counts.items():
            await db.execute(
                "INSERT INTO vitals_release_routes (project_id, release, metric, route, device,"
                " rating, bin, samples) VALUES ($1, $2, $3, '/checkout', $4, $5, $6, $7)",
                project, name, int(Metric.LCP), int(Device.MOBILE), rated, bin_index, samples,
            )  # fmt: skip

    async def regression_rule(self, db: asyncpg.Connection, project: int, **fields: Any) -> int:
        return await insert_rule(db, project, **{"name": "regressions", "kind": "regression",
                                                 **fields})  # fmt: skip

    async def test_a_slower_release_fires_naming_it(
        self, pool: asyncpg.Pool, db: asyncpg.Connection, settings: Settings
    ) -> None:
        project = await create_project(db)
        t0 = datetime.now(UTC)
        await self.seed_release(db, project, "v1", t0 - timedelta(days=2), 2000)
        await self.seed_release(db, project, "v2", t0 - timedelta(hours=3), 2600)
        rule = await self.regression_rule(db, project)
        desktop_only = await self.regression_rule(db, project, name="desktop", devices=["desktop"])
        await evaluate_all(pool, settings)
        assert await events(db, rule) == ["firing"]
        assert await events(db, desktop_only) == []  # the regression is on mobile
        fired = await state(db, rule)
        assert fired["release"] == "v2" and fired["value"] == pytest.approx(0.3, abs=0.05)
        details = await db.fetchval("SELECT details FROM alert_events WHERE rule_id = $1", rule)
        assert '"release": "v2"' in details and "view=releases" in details

    async def test_an_unchanged_release_stays_ok(
        self, pool: asyncpg.Pool, db: asyncpg.Connection, settings: Settings
    ) -> None:
        project = await create_project(db)
        t0 = datetime.now(UTC)
        await self.seed_release(db, project, "v1", t0 - timedelta(days=2), 2000)
        await self.seed_release(db, project, "v2", t0 - timedelta(hours=3), 2000)
        rule = await self.regression_rule(db, project)
        await evaluate_all(pool, settings)
        assert await events(db, rule) == [] and (await state(db, rule))["state"] == "ok"


async def test_a_time_origin_in_the_window_counts(
    pool: asyncpg.Pool, db: asyncpg.Connection, settings: Settings
) -> None:
    """Page views from two hours ago are outside a 60-minute window (whole hours: at most
    the current and the previous hour)."""
    project = await create_project(db)
    rule = await threshold_rule(db, project)
    old = now_ms() - 3 * 3_600_000
    beacons = [
        accepted(project, beacon(report("LCP", 9000.0), time_origin=old), received_at=old + 5_000)
        for _ in range(30)
    ]
    await process_batch(pool, ProjectDirectory(), batch(*beacons))
    await evaluate_all(pool, settings)
    assert await events(db, rule) == []
