"""GET /v1/projects/{id}/summary: percentiles, ratings, verdict and change per metric."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from litestar.testing import AsyncTestClient

from services.contracts.metrics import Device, Metric
from services.contracts.settings import Settings
from tests.query.conftest import bearer
from tests.query.seeding import Seeder, Vital

START = datetime(2025, 4, 1, tzinfo=UTC)
WINDOW = {"from": "2025-04-08T00:00:00Z", "to": "2025-04-15T00:00:00Z"}


async def seed_week(
    seed: Seeder, values: dict[Metric, list[float]], start: datetime = START + timedelta(days=7)
) -> int:
    project = await seed.project()
    page = await seed.page(project)
    rows = [
        Vital(project, start + timedelta(minutes=37 * i + 5), metric, value, page)
        for metric, metric_values in values.items()
        for i, value in enumerate(metric_values)
    ]
    await seed.vitals(rows)
    await seed.recount()
    return project


class TestSummary:
    async def test_percentiles_counts_and_shares(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """Each metric reports nearest-rank percentiles within 1 %, exact counts and exact rating shares."""
        lcp = [900.0, 1800.0, 2500.0, 2600.0, 3900.0, 4100.0, 7000.0, 1200.0]
        project = await seed_week(seed, {Metric.LCP: lcp, Metric.CLS: [0.0, 0.05, 0.3]})
        response = await client.get(
            f"/v1/projects/{project}/summary",
            params=WINDOW,
            headers=bearer(query_settings, [project]),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        current = body["metrics"]["LCP"]["current"]
        assert current["count"] == 8
        assert current["ratings"] == {"good": 4, "needs_improvement": 2, "poor": 2}
        assert current["shares"] == {"good": 0.5, "needs_improvement": 0.25, "poor": 0.25}
        for name, q in {"p50": 0.5, "p75": 0.75, "p90": 0.9, "p95": 0.95, "p99": 0.99}.items():
            assert current[name] == pytest.approx(
                float(np.quantile(lcp, q, method="inverted_cdf")), rel=0.01
            )
        assert current["low_sample"] is True
        assert body["metrics"]["CLS"]["current"]["p50"] == pytest.approx(0.05, rel=0.01)
        assert body["metrics"]["INP"]["current"]["count"] == 0
        assert body["metrics"]["INP"]["current"]["p75"] is None

    async def test_verdict_passes_when_lcp_inp_cls_are_good(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """Core Web Vitals pass when the p75 of LCP, INP and CLS are all good."""
        project = await seed_week(
            seed, {Metric.LCP: [1000.0] * 4, Metric.INP: [100.0] * 4, Metric.CLS: [0.01] * 4}
        )
        body = (
            await client.get(
                f"/v1/projects/{project}/summary",
                params=WINDOW,
                headers=bearer(query_settings, [project]),
            )
        ).json()
        assert body["core_web_vitals"] == {"status": "passed", "failing": [], "missing": []}

    async def test_verdict_fails_on_a_poor_metric(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """One metric whose p75 is not good fails the assessment and is named."""
        project = await seed_week(
            seed,
            {
                Metric.LCP: [1000.0] * 4,
                Metric.INP: [100.0, 600.0, 600.0, 600.0],
                Metric.CLS: [0.01] * 4,
            },
        )
        body = (
            await client.get(
                f"/v1/projects/{project}/summary",
                params=WINDOW,
                headers=bearer(query_settings, [project]),
            )
        ).json()
        assert body["core_web_vitals"] == {"status": "failed", "failing": ["INP"], "missing": []}
        assert body["metrics"]["INP"]["current"]["rating"] == "poor"

    async def test_verdict_needs_every_core_metric(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """Without CLS samples the verdict is insufficient_data, naming the missing metric."""
        project = await seed_week(seed, {Metric.LCP: [1000.0], Metric.INP: [100.0]})
        body = (
            await client.get(
                f"/v1/projects/{project}/summary",
                params=WINDOW,
                headers=bearer(query_settings, [project]),
            )
        ).json()
        assert body["core_web_vitals"] == {
            "status": "insufficient_data",
            "failing": [],
            "missing": ["CLS"],
        }

    async def test_p75_rating_is_the_samples_own(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """A p75 of exactly 2500 ms is good, although its bin's representative value lies just above the threshold."""
        project = await seed_week(seed, {Metric.LCP: [2500.0] * 4})
        current = (
            await client.get(
                f"/v1/projects/{project}/summary",
                params=WINDOW,
                headers=bearer(query_settings, [project]),
            )
        ).json()["metrics"]["LCP"]["current"]
        assert current["p75"] == pytest.approx(2500.0, rel=0.01)
        assert current["rating"] == "good"

    async def test_change_against_the_previous_period(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """The previous week of equal length is summarised too, and the change compares p75, count and good share."""
        project = await seed.project()
        page = await seed.page(project)
        previous = [
            Vital(project, START + timedelta(hours=10 * i), Metric.LCP, 2000.0, page)
            for i in range(4)
        ]
        current = [
            Vital(project, START + timedelta(days=7, hours=10 * i), Metric.LCP, v, page)
            for i, v in enumerate([3000.0] * 6 + [1000.0] * 2)
        ]
        await seed.vitals(previous + current)
        await seed.recount()
        body = (
            await client.get(
                f"/v1/projects/{project}/summary",
                params=WINDOW,
                headers=bearer(query_settings, [project]),
            )
        ).json()
        assert body["previous_range"] == {
            "from": "2025-04-01T00:00:00Z",
            "to": "2025-04-08T00:00:00Z",
            "tz": "UTC",
        }
        lcp = body["metrics"]["LCP"]
        assert (lcp["previous"]["count"], lcp["current"]["count"]) == (4, 8)
        assert lcp["change"]["count"] == 1.0
        assert lcp["change"]["p75"] == pytest.approx(0.5, abs=0.02)
        assert lcp["change"]["good_share"] == pytest.approx(0.25 - 1.0)

    async def test_ragged_window_matches_numpy_for_every_metric(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """Over a window with partial hours and days, every percentile is within 1 % of numpy and counts are exact."""
        rng = np.random.default_rng(3)
        project = await seed.project()
        page = await seed.page(project)
        start, end = (
            START + timedelta(days=7, hours=3, minutes=41),
            START + timedelta(days=12, hours=18, minutes=7),
        )
        rows = []
        for metric, median in {
            Metric.LCP: 2200,
            Metric.INP: 150,
            Metric.CLS: 0.04,
            Metric.FCP: 1500,
            Metric.TTFB: 500,
        }.items():
            values = np.round(
                median * rng.lognormal(0, 0.8, 1500), 4 if metric is Metric.CLS else 1
            )
            if metric is Metric.CLS:
                values[:400] = 0.0
            seconds = rng.uniform(0, 7 * 86400, len(values))
            rows += [
                Vital(
                    project,
                    START + timedelta(days=6) + timedelta(seconds=float(s)),
                    metric,
                    float(v),
                    page,
                )
                for s, v in zip(seconds, values, strict=True)
            ]
        await seed.vitals(rows)
        await seed.recount()
        body = (
            await client.get(
                f"/v1/projects/{project}/summary",
                params={"from": start.isoformat(), "to": end.isoformat()},
                headers=bearer(query_settings, [project]),
            )
        ).json()
        for metric in Metric:
            inside = [r.value for r in rows if r.metric is metric and start <= r.time < end]
            current = body["metrics"][metric.name]["current"]
            assert current["count"] == len(inside)
            for name, q in {"p50": 0.5, "p75": 0.75, "p90": 0.9, "p95": 0.95, "p99": 0.99}.items():
                exact = float(np.quantile(inside, q, method="inverted_cdf"))
                assert current[name] == pytest.approx(exact, rel=0.01, abs=0 if exact else 1e-12), (
                    metric,
                    name,
                )

    async def test_filters_select_exactly_the_matching_rows(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """Device (from a rollup) and browser or country (from raw rows) filters count exactly the matching samples; values of one filter are alternatives."""
        project = await seed.project()
        page = await seed.page(project)
        combos = [
            (Device.MOBILE, "Chrome", "US"),
            (Device.MOBILE, "Safari", "DE"),
            (Device.DESKTOP, "Chrome", "DE"),
            (Device.TABLET, "Firefox", "US"),
        ]
        rows = [
            Vital(
                project,
                START + timedelta(days=7, hours=i),
                Metric.LCP,
                1000.0 + i,
                page,
                device=d,
                browser=b,
                country=c,
            )
            for i in range(40)
            for d, b, c in [combos[i % 4]]
        ]
        await seed.vitals(rows)
        await seed.recount()

        async def count(**filters: str | list[str]) -> int:
            response = await client.get(
                f"/v1/projects/{project}/summary",
                params={**WINDOW, **filters},
                headers=bearer(query_settings, [project]),
            )
            assert response.status_code == 200, response.text
            return int(response.json()["metrics"]["LCP"]["current"]["count"])

        assert await count(device="mobile") == 20
        assert await count(device=["mobile", "tablet"]) == 30
        assert await count(device="mobile,desktop") == 30
        assert await count(browser="Chrome") == 20
        assert await count(browser="Chrome", country="de") == 10
        assert await count(device="desktop", country="US") == 0
