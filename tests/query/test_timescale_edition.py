"""The query SQL on the Timescale-licensed edition (PGlite: PostgreSQL 17, TimescaleDB 2.23),
whose rollups are the workers' tables as on the Apache edition (migration 0009): the same
numbers from rollups as from raw rows."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import numpy as np
import pytest

from services.cli.migrations import detect_edition, migrate
from services.contracts.metrics import Device, Metric, bin_value
from services.query.filters import Filters
from services.query.plan import Interval, plan
from services.query.reads.histograms import fetch_quantiles
from tests.query.seeding import ROLLUP_TABLES, Seeder, Vital
from tests.query.test_histograms import FAMILY_CASES
from tests.support.pglite import PGliteServer

pytestmark = pytest.mark.pglite
START = datetime(2025, 2, 1, tzinfo=UTC)
ALL = [int(m) for m in Metric]


@pytest.fixture(scope="module")
def pglite_server() -> Iterator[PGliteServer]:
    server = PGliteServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def timescale(pglite_server: PGliteServer) -> AsyncIterator[asyncpg.Connection]:
    """The one PGlite connection, migrated, with empty tables and rollups."""
    connection = await pglite_server.connect()
    await migrate(connection)
    await connection.execute(
        f"TRUNCATE projects, pages, vitals, {', '.join(ROLLUP_TABLES)} RESTART IDENTITY CASCADE"
    )
    try:
        yield connection
    finally:
        await connection.close()


class TestTimescaleEdition:
    async def test_rollups_and_raw_agree(self, timescale: asyncpg.Connection) -> None:
        """Daily, hourly and raw pieces of a ragged window give raw's numbers, within 1 % of exact."""
        assert await detect_edition(timescale) == "timescale"
        seed = Seeder(timescale)
        project = await seed.project()
        page = await seed.page(project)
        rng = random.Random(4)

        def rows(n: int, first_day: float, last_day: float) -> list[Vital]:
            return [
                Vital(project, START + timedelta(days=rng.uniform(first_day, last_day)), metric, round(rng.lognormvariate(7, 0.8), 1) if metric is not Metric.CLS else round(rng.lognormvariate(-3, 1), 4), page)
                for metric in Metric for _ in range(n)
            ]  # fmt: skip

        first, later = rows(300, 0, 2), rows(100, 2.5, 4)
        await seed.vitals(first + later)
        await seed.recount()
        window = Interval(
            START + timedelta(hours=7, minutes=13), START + timedelta(days=3, hours=17, minutes=51)
        )
        mixed = plan([window], frozenset())
        assert mixed.family is not None and mixed.daily and mixed.hourly and mixed.raw
        from_rollups = await fetch_quantiles(
            timescale, project, metrics=ALL, plan=mixed, filters=Filters()
        )
        raw_only = plan([window], frozenset(), use_rollups=False)
        from_raw = await fetch_quantiles(
            timescale, project, metrics=ALL, plan=raw_only, filters=Filters()
        )
        assert sorted(from_rollups, key=lambda r: r.metric) == sorted(
            from_raw, key=lambda r: r.metric
        )
        for row in from_rollups:
            metric = Metric(row.metric)
            values = [
                v.value
                for v in first + later
                if v.metric is metric and window.start <= v.time < window.end
            ]
            assert row.total == len(values)
            exact = float(np.quantile(values, 0.75, method="inverted_cdf"))
            assert bin_value(metric, row.p75) == pytest.approx(exact, rel=0.01)

    @pytest.mark.parametrize(
        ("filters", "group", "family"),
        FAMILY_CASES,
        ids=[f"{c[2]}-{c[1]}-{sorted(c[0].active())}" for c in FAMILY_CASES],
    )
    async def test_every_family_matches_raw_rows(
        self, timescale: asyncpg.Connection, filters: Filters, group: Any, family: str | None
    ) -> None:
        """Each rollup family answers exactly as raw rows do."""
        seed = Seeder(timescale)
        rng = random.Random(11)
        project = await seed.project()
        pages = [await seed.page(project, f"/products/{n}", "/products/:id") for n in range(3)] + [
            await seed.page(project, "/cart")
        ]
        await seed.vitals([
            Vital(
                project, START + timedelta(seconds=rng.uniform(0, 3 * 86400)), metric, round(rng.lognormvariate(6, 1), 1), rng.choice(pages),
                device=rng.choice(list(Device)), browser=rng.choice(["Chrome", "Safari", "Firefox"]), country=rng.choice(["US", "DE", "IN"]),
                os=rng.choice(["iOS", "Android", "Windows"]),
            )
            for metric in Metric for _ in range(150)
        ])  # fmt: skip
        await seed.recount()
        window = Interval(
            START + timedelta(hours=2, minutes=41), START + timedelta(days=2, hours=22, minutes=8)
        )
        dimensions = filters.active() | ({group} if group else frozenset())
        mixed = plan([window], dimensions)
        assert (mixed.family.name if mixed.family else None) == family
        raw_only = plan([window], dimensions, use_rollups=False)
        from_rollups = await fetch_quantiles(
            timescale, project, metrics=ALL, plan=mixed, filters=filters, group=group
        )
        from_raw = await fetch_quantiles(
            timescale, project, metrics=ALL, plan=raw_only, filters=filters, group=group
        )
        assert sorted(from_rollups, key=lambda r: (r.metric, r.key or "")) == sorted(
            from_raw, key=lambda r: (r.metric, r.key or "")
        )
        assert from_raw
