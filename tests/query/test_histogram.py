"""GET /v1/projects/{id}/histogram: log-scale buckets with exact counts per rating."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from litestar.testing import AsyncTestClient

from services.contracts.metrics import Metric
from services.contracts.settings import Settings
from tests.query.conftest import bearer
from tests.query.seeding import Seeder, Vital

START = datetime(2025, 7, 1, tzinfo=UTC)
WINDOW = {"from": "2025-07-01T00:00:00Z", "to": "2025-07-02T00:00:00Z"}


async def seed_values(seed: Seeder, metric: Metric, values: list[float]) -> int:
    project = await seed.project()
    page = await seed.page(project)
    await seed.vitals(
        [
            Vital(project, START + timedelta(minutes=i), metric, v, page)
            for i, v in enumerate(values)
        ]
    )
    await seed.recount()
    return project


class TestHistogram:
    async def test_buckets_cover_every_sample_once(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """Buckets are contiguous, at most the requested number, and their counts and rating splits add up exactly."""
        values = [100.0 * 1.07**i for i in range(120)]
        project = await seed_values(seed, Metric.LCP, values)
        response = await client.get(
            f"/v1/projects/{project}/histogram",
            params={"metric": "LCP", "buckets": 12, **WINDOW},
            headers=bearer(query_settings, [project]),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        buckets = body["buckets"]
        assert len(buckets) <= 12
        assert all(a["end"] == b["start"] for a, b in pairwise(buckets))
        assert body["count"] == sum(b["count"] for b in buckets) == 120
        for bucket in buckets:
            inside = [v for v in values if bucket["start"] < v <= bucket["end"] * (1 + 1e-12)]
            assert bucket["count"] == len(inside)
            assert bucket["good"] + bucket["needs_improvement"] + bucket["poor"] == bucket["count"]
        assert sum(b["good"] for b in buckets) == sum(v <= 2500 for v in values)
        assert body["thresholds"] == {"good": 2500, "poor": 4000}

    async def test_zero_has_its_own_bucket(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """CLS zeros are counted in a first [0, 0] bucket."""
        project = await seed_values(seed, Metric.CLS, [0.0, 0.0, 0.0, 0.02, 0.3])
        response = await client.get(
            f"/v1/projects/{project}/histogram",
            params={"metric": "CLS", **WINDOW},
            headers=bearer(query_settings, [project]),
        )
        buckets = response.json()["buckets"]
        assert buckets[0] == {
            "start": 0.0,
            "end": 0.0,
            "count": 3,
            "good": 3,
            "needs_improvement": 0,
            "poor": 0,
        }
        assert sum(b["count"] for b in buckets[1:]) == 2
        assert buckets[-1]["start"] < 0.3 <= buckets[-1]["end"]
