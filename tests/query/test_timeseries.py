"""GET /v1/projects/{id}/timeseries: per-bucket percentiles and counts, gaps and zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from litestar.testing import AsyncTestClient

from services.contracts.metrics import Metric
from services.contracts.settings import Settings
from tests.query.conftest import bearer
from tests.query.seeding import Seeder, Vital

DAY = datetime(2025, 6, 10, tzinfo=UTC)


async def seed_rows(
    seed: Seeder, rows: list[tuple[datetime, float]], metric: Metric = Metric.LCP
) -> int:
    project = await seed.project()
    page = await seed.page(project)
    await seed.vitals([Vital(project, time, metric, value, page) for time, value in rows])
    await seed.recount()
    return project


class TestTimeseries:
    async def test_buckets_with_gaps_are_explicit(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """Every bucket of the window is listed; buckets without samples have count 0 and null values."""
        rows = [(DAY + timedelta(hours=1, minutes=m), 1000.0 + m) for m in range(10)]
        rows += [(DAY + timedelta(hours=4, minutes=5), 3000.0)]
        project = await seed_rows(seed, rows)
        response = await client.get(
            f"/v1/projects/{project}/timeseries",
            params={
                "metric": "LCP",
                "from": "2025-06-10T00:00:00Z",
                "to": "2025-06-10T06:00:00Z",
                "bucket": "1h",
                "percentile": "p50,p75",
            },
            headers=bearer(query_settings, [project]),
        )
        assert response.status_code == 200, response.text
        points = response.json()["points"]
        assert [p["count"] for p in points] == [0, 10, 0, 0, 1, 0]
        assert [p["start"] for p in points][:2] == ["2025-06-10T00:00:00Z", "2025-06-10T01:00:00Z"]
        assert points[0]["values"] == {"p50": None, "p75": None}
        assert points[1]["values"]["p75"] == pytest.approx(
            float(np.quantile([r[1] for r in rows[:10]], 0.75, method="inverted_cdf")), rel=0.01
        )
        assert points[4]["values"]["p50"] == pytest.approx(3000.0, rel=0.01)
        assert points[1]["low_sample"] is True

    async def test_days_align_to_the_time_zone(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """With tz, daily buckets are local calendar days: a sample at 23:30 New York time belongs to that local day."""
        late_evening = datetime(2025, 6, 11, 3, 30, tzinfo=UTC)  # 2025-06-10 23:30 in New York
        project = await seed_rows(seed, [(late_evening, 1200.0)])
        response = await client.get(
            f"/v1/projects/{project}/timeseries",
            params={
                "metric": "LCP",
                "from": "2025-06-09",
                "to": "2025-06-12",
                "tz": "America/New_York",
                "bucket": "1d",
            },
            headers=bearer(query_settings, [project]),
        )
        assert response.status_code == 200, response.text
        points = response.json()["points"]
        assert [p["start"] for p in points] == [
            "2025-06-09T04:00:00Z",
            "2025-06-10T04:00:00Z",
            "2025-06-11T04:00:00Z",
        ]
        assert [p["count"] for p in points] == [0, 1, 0]

    async def test_bucket_counts_equal_raw_counts_across_sources(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """Six-hour buckets over a ragged window count every sample exactly once, whichever relation answered."""
        rng = np.random.default_rng(5)
        times = [DAY + timedelta(seconds=float(s)) for s in rng.uniform(0, 3 * 86400, 600)]
        project = await seed_rows(seed, [(t, 500.0) for t in times])
        start, end = (
            DAY + timedelta(hours=2, minutes=10),
            DAY + timedelta(days=2, hours=21, minutes=40),
        )
        response = await client.get(
            f"/v1/projects/{project}/timeseries",
            params={
                "metric": "LCP",
                "from": start.isoformat(),
                "to": end.isoformat(),
                "bucket": "6h",
            },
            headers=bearer(query_settings, [project]),
        )
        points = response.json()["points"]
        for point in points:
            lo = max(datetime.fromisoformat(point["start"]), start)
            hi = min(datetime.fromisoformat(point["end"]), end)
            assert point["count"] == sum(lo <= t < hi for t in times)
        assert sum(p["count"] for p in points) == sum(start <= t < end for t in times)

    async def test_width_is_derived_from_the_range(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """Without a bucket width, a 30-day window gets 3-hour buckets (at most 400 points)."""
        project = await seed.project()
        response = await client.get(
            f"/v1/projects/{project}/timeseries",
            params={"metric": "INP", "range": "last 30d"},
            headers=bearer(query_settings, [project]),
        )
        body = response.json()
        assert body["bucket"] == "3h"
        assert len(body["points"]) in (240, 241)
