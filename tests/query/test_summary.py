"""GET /v1/projects/{id}/summary: percentiles, ratings, verdict and change per metric."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from litestar.testing import AsyncTestClient

from services.contracts.metrics import Metric
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
