"""The percentile SQL: nearest-rank percentiles from summed bins, exact counts, rollups = raw."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import numpy as np
import pytest
from prometheus_client import REGISTRY

from services.contracts.metrics import Device, Metric, bin_value
from services.query.filters import Filters
from services.query.plan import Interval, plan
from services.query.reads.histograms import PARALLEL_FROM_SLOTS, QuantileRow, fetch_quantiles
from tests.query.seeding import Seeder, Vital

QUANTILES = {"p50": 0.5, "p75": 0.75, "p90": 0.9, "p95": 0.95, "p99": 0.99}
START = datetime(2025, 3, 1, tzinfo=UTC)
ALL = [int(m) for m in Metric]


def statements(name: str = "quantiles") -> float:
    return REGISTRY.get_sample_value("vitals_query_statements_total", {"name": name}) or 0.0


def scattered(
    project: int,
    metric: Metric,
    pages: list[int],
    count: int,
    rng: random.Random,
    *,
    any_device: bool = False,
) -> list[Vital]:
    """`count` samples at random instants over 12 days from START, each on one of `pages`,
    on mobile (Vital's default) or, with `any_device`, on a random device."""
    return [
        Vital(
            project,
            START + timedelta(seconds=rng.uniform(0, 12 * 86400)),
            metric,
            sample_values(metric, 1, rng)[0],
            rng.choice(pages),
            device=rng.choice(list(Device)) if any_device else Device.MOBILE,
        )
        for _ in range(count)
    ]


WINDOW = Interval(START, START + timedelta(days=3))


def sample_values(metric: Metric, n: int, rng: random.Random) -> list[float]:
    if metric is Metric.CLS:
        return [
            0.0 if rng.random() < 0.3 else round(rng.lognormvariate(-3, 1.2), 4) for _ in range(n)
        ]
    median = {Metric.LCP: 2200, Metric.INP: 160, Metric.FCP: 1500, Metric.TTFB: 500}[metric]
    return [round(median * rng.lognormvariate(0, 0.7), 1) for _ in range(n)]


def assert_close(metric: Metric, row: QuantileRow, values: list[float]) -> None:
    for name, q in QUANTILES.items():
        exact = float(np.quantile(values, q, method="inverted_cdf"))
        ours = bin_value(metric, getattr(row, name))
        assert ours == pytest.approx(exact, rel=0.01, abs=0 if exact else 1e-12), (metric, name)


async def seed_values(
    seed: Seeder, metric_values: dict[Metric, list[float]], rng: random.Random
) -> int:
    project = await seed.project()
    page = await seed.page(project)
    rows = [
        Vital(
            project,
            START + timedelta(seconds=rng.uniform(0, WINDOW.end.timestamp() - START.timestamp())),
            metric,
            value,
            page,
        )
        for metric, values in metric_values.items()
        for value in values
    ]
    await seed.vitals(rows)
    await seed.recount()
    return project


async def quantiles(
    db: asyncpg.Connection, project: int, *, use_rollups: bool = True
) -> dict[int, QuantileRow]:
    rows = await fetch_quantiles(
        db,
        project,
        metrics=ALL,
        plan=plan([WINDOW], frozenset(), use_rollups=use_rollups),
        filters=Filters(),
    )
    return {row.metric: row for row in rows}


class TestPercentiles:
    async def test_every_metric_matches_numpy_nearest_rank(
        self, db: asyncpg.Connection, seed: Seeder
    ) -> None:
        """Every percentile of every metric, CLS and zeros included, is within 1 % of numpy's inverted_cdf."""
        rng = random.Random(7)
        values = {metric: sample_values(metric, 997, rng) for metric in Metric}
        project = await seed_values(seed, values, rng)
        rows = await quantiles(db, project)
        for metric in Metric:
            assert_close(metric, rows[metric], values[metric])

    @pytest.mark.parametrize("n", [1, 2, 3, 4, 20, 100])
    async def test_tiny_counts(self, db: asyncpg.Connection, seed: Seeder, n: int) -> None:
        """With a handful of samples the rank arithmetic still picks numpy's sample (n·q on integer boundaries included)."""
        rng = random.Random(n)
        values = {
            Metric.LCP: sample_values(Metric.LCP, n, rng),
            Metric.CLS: sample_values(Metric.CLS, n, rng),
        }
        project = await seed_values(seed, values, rng)
        rows = await quantiles(db, project)
        for metric, metric_values in values.items():
            assert_close(metric, rows[metric], metric_values)

    async def test_all_zero_values_give_zero(self, db: asyncpg.Connection, seed: Seeder) -> None:
        """Zero lands in the zero bin and reads back as exactly 0."""
        project = await seed_values(
            seed, {Metric.CLS: [0.0] * 5, Metric.TTFB: [0.0, 0.0, 12.0]}, random.Random(1)
        )
        rows = await quantiles(db, project)
        assert bin_value(Metric.CLS, rows[Metric.CLS].p99) == 0.0
        assert bin_value(Metric.TTFB, rows[Metric.TTFB].p50) == 0.0
        assert bin_value(Metric.TTFB, rows[Metric.TTFB].p99) == pytest.approx(12.0, rel=0.01)

    async def test_counts_and_rating_counts_are_exact(
        self, db: asyncpg.Connection, seed: Seeder
    ) -> None:
        """Sample and rating counts equal the raw counts, with values on the thresholds rated as web-vitals does."""
        values = {
            Metric.LCP: [2500.0, 2500.1, 4000.0, 4000.1, 100.0],
            Metric.CLS: [0.1, 0.1001, 0.25, 0.2501, 0.0],
        }
        project = await seed_values(seed, values, random.Random(2))
        rows = await quantiles(db, project)
        for metric in values:
            row = rows[metric]
            assert (row.total, row.good, row.needs_improvement, row.poor) == (5, 2, 2, 1)


class TestRollupEquality:
    async def test_rollups_and_raw_give_the_same_numbers(
        self, db: asyncpg.Connection, seed: Seeder
    ) -> None:
        """A window with ragged edges read through daily, hourly and raw sources equals raw rows alone."""
        rng = random.Random(11)
        values = {metric: sample_values(metric, 3000, rng) for metric in Metric}
        project = await seed_values(seed, values, rng)
        window = Interval(
            START + timedelta(hours=5, minutes=17), START + timedelta(days=2, hours=20, minutes=3)
        )
        mixed = plan([window], frozenset())
        assert mixed.daily and mixed.hourly and mixed.raw
        from_rollups = await fetch_quantiles(
            db, project, metrics=ALL, plan=mixed, filters=Filters()
        )
        raw_only = plan([window], frozenset(), use_rollups=False)
        from_raw = await fetch_quantiles(db, project, metrics=ALL, plan=raw_only, filters=Filters())
        assert sorted(from_rollups, key=lambda r: r.metric) == sorted(
            from_raw, key=lambda r: r.metric
        )
        assert sum(r.total for r in from_raw) < sum(len(v) for v in values.values())

    @pytest.mark.parametrize("width", [timedelta(hours=1), timedelta(days=1)])
    async def test_aligned_series_matches_raw_rows(
        self, db: asyncpg.Connection, seed: Seeder, width: timedelta
    ) -> None:
        """A series whose buckets are exactly the rollup's (read in index order) equals raw rows, bucket by bucket."""
        rng = random.Random(int(width.total_seconds()))
        project = await seed_values(seed, {Metric.INP: sample_values(Metric.INP, 2000, rng)}, rng)
        count = int(WINDOW.end.timestamp() - WINDOW.start.timestamp()) // int(width.total_seconds())
        slots = [Interval(START + i * width, START + (i + 1) * width) for i in range(count)]
        aligned = plan(slots, frozenset())
        assert aligned.aligned_relation() is not None
        raw_only = plan(slots, frozenset(), use_rollups=False)
        metric = [int(Metric.INP)]
        from_rollup = await fetch_quantiles(
            db, project, metrics=metric, plan=aligned, filters=Filters()
        )
        from_raw = await fetch_quantiles(
            db, project, metrics=metric, plan=raw_only, filters=Filters()
        )
        assert sorted(from_rollup, key=lambda r: r.slot) == sorted(from_raw, key=lambda r: r.slot)
        assert len(from_raw) == count

    async def test_long_aligned_series_split_across_connections(
        self, settings: Any, seed: Seeder
    ) -> None:
        """A series long enough to run as two statements on two pooled connections numbers its slots as one."""
        rng = random.Random(9)
        project = await seed.project()
        page = await seed.page(project)
        await seed.vitals(scattered(project, Metric.LCP, [page], 3000, rng))
        await seed.recount()
        slots = [
            Interval(START + timedelta(hours=h), START + timedelta(hours=h + 1))
            for h in range(12 * 24)
        ]
        assert len(slots) >= PARALLEL_FROM_SLOTS
        pool = await asyncpg.create_pool(settings.database_url, min_size=2, max_size=2)
        try:
            before = statements()
            split = await fetch_quantiles(
                pool,
                project,
                metrics=[int(Metric.LCP)],
                plan=plan(slots, frozenset()),
                filters=Filters(),
            )
            assert statements() - before == 2
            raw = await fetch_quantiles(
                pool,
                project,
                metrics=[int(Metric.LCP)],
                plan=plan(slots, frozenset(), use_rollups=False),
                filters=Filters(),
            )
        finally:
            await pool.close()
        assert sorted(split, key=lambda r: r.slot) == sorted(raw, key=lambda r: r.slot)
        assert min(r.slot for r in split) < len(slots) // 2 < max(r.slot for r in split)

    async def test_a_long_grouped_read_summed_in_two_halves_equals_one_statement(
        self, settings: Any, db: asyncpg.Connection, seed: Seeder
    ) -> None:
        """A route breakdown over 12 days and two ragged slots, read from a pool (two halves in time on two connections, one walk), equals the same read as one statement and raw rows."""
        rng = random.Random(12)
        project = await seed.project()
        pages = [await seed.page(project, path=f"/p{i}", route=f"/r{i % 3}") for i in range(6)]
        await seed.vitals(scattered(project, Metric.INP, pages, 4000, rng, any_device=True))
        await seed.recount()
        middle = START + timedelta(days=6, hours=7, minutes=13)
        slots = [
            Interval(START + timedelta(minutes=25), middle),
            Interval(middle, START + timedelta(days=12)),
        ]
        query = {"metrics": [int(Metric.INP)], "filters": Filters(device=(0, 1)), "group": "route"}
        pool = await asyncpg.create_pool(settings.database_url, min_size=2, max_size=2)
        try:
            before = statements("sums")
            halves = await fetch_quantiles(
                pool, project, plan=plan(slots, frozenset({"route", "device"})), **query
            )
            after = statements("sums")
            raw = await fetch_quantiles(
                pool, project, plan=plan(slots, frozenset(), use_rollups=False), **query
            )
        finally:
            await pool.close()
        assert after == before + 2
        whole = await fetch_quantiles(
            db, project, plan=plan(slots, frozenset({"route", "device"})), **query
        )

        def key(row: QuantileRow) -> tuple[int, str | None]:
            return row.slot, row.key

        assert sorted(halves, key=key) == sorted(whole, key=key) == sorted(raw, key=key)
        assert {r.slot for r in halves} == {1, 2} and len(halves) == 6


FAMILY_CASES = [
    # (filters, group, the family that must answer)
    (Filters(), None, "totals"),
    (Filters(device=(2,)), None, "devices"),
    (Filters(), "device", "devices"),
    (Filters(route=("/products/:id",)), None, "routes"),
    (Filters(device=(1, 2)), "route", "routes"),
    (Filters(browser=("Chrome",), country=("US",)), None, "clients"),
    (Filters(country=("DE",)), "browser", "clients"),
    (Filters(browser=("Safari",)), "country", "clients"),
    (Filters(host=("shop.example",), path=("/cart",)), None, "pages"),
    (Filters(os=("iOS",)), "device", None),
]


class TestEveryFamily:
    @pytest.mark.parametrize(
        ("filters", "group", "family"),
        FAMILY_CASES,
        ids=[f"{c[2]}-{c[1]}-{sorted(c[0].active())}" for c in FAMILY_CASES],
    )
    async def test_family_matches_raw_rows(
        self, db: asyncpg.Connection, seed: Seeder, filters: Filters, group: Any, family: str | None
    ) -> None:
        """Each rollup family, filtered and grouped, gives exactly what raw rows give over a ragged window."""
        rng = random.Random(hash(family) % 1000)
        project = await seed.project()
        pages = [await seed.page(project, f"/products/{n}", "/products/:id") for n in range(3)] + [
            await seed.page(project, "/cart")
        ]
        rows = [
            Vital(
                project, START + timedelta(seconds=rng.uniform(0, 3 * 86400)), metric, sample_values(metric, 1, rng)[0], rng.choice(pages),
                device=rng.choice(list(Device)), browser=rng.choice(["Chrome", "Safari", "Firefox"]), country=rng.choice(["US", "DE", "IN"]),
                os=rng.choice(["iOS", "Android", "Windows"]),
            )
            for metric in Metric for _ in range(400)
        ]  # fmt: skip
        await seed.vitals(rows)
        await seed.recount()
        window = Interval(
            START + timedelta(hours=2, minutes=41), START + timedelta(days=2, hours=22, minutes=8)
        )
        dimensions = filters.active() | ({group} if group else frozenset())
        mixed = plan([window], dimensions)
        assert (mixed.family.name if mixed.family else None) == family
        raw_only = plan([window], dimensions, use_rollups=False)
        from_rollups = await fetch_quantiles(
            db, project, metrics=ALL, plan=mixed, filters=filters, group=group
        )
        from_raw = await fetch_quantiles(
            db, project, metrics=ALL, plan=raw_only, filters=filters, group=group
        )

        def key(row: QuantileRow) -> tuple[int, str]:
            return (row.metric, row.key or "")

        assert sorted(from_rollups, key=key) == sorted(from_raw, key=key)
        assert from_raw
