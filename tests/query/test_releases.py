"""The release dimension in the views (issue 13): a `release` filter on every view and
`dimension=release` in breakdowns, from the route rollups where whole hours allow and from
raw rows at the window's ragged edges, counting exactly the same samples either way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from services.contracts.metrics import Device, Metric
from services.contracts.settings import Settings
from tests.query.conftest import bearer
from tests.query.seeding import Seeder, Vital

START = datetime(2025, 4, 8, tzinfo=UTC)
WHOLE_DAYS = {"from": "2025-04-08T00:00:00Z", "to": "2025-04-15T00:00:00Z"}
# Ragged on both sides: the first and last hours come from raw rows.
RAGGED = {"from": "2025-04-08T00:30:00Z", "to": "2025-04-14T23:30:00Z"}
RELEASES = ["v1", "v2, with a comma", "räksmörgås-🚀", None]


async def seed_releases(seed: Seeder) -> int:
    """40 LCPs: release i % 4 (the last is none), mobile for even i, one an hour."""
    project = await seed.project()
    page = await seed.page(project, "/checkout")
    rows = [
        Vital(
            project, START + timedelta(hours=3 * i, minutes=45), Metric.LCP, 1000.0 + 100 * i,
            page, device=Device.MOBILE if i % 2 == 0 else Device.DESKTOP,
            release=RELEASES[i % 4],
        )
        for i in range(40)
    ]  # fmt: skip
    # At the ragged window's edges: 00:20 of the first day is outside it, 23:10 of the last
    # inside, read from raw rows (as is the 00:45 page view above).
    rows += [
        Vital(project, START + timedelta(minutes=20), Metric.LCP, 900.0, page, release="v1"),
        Vital(project, START + timedelta(days=6, hours=23, minutes=10), Metric.LCP, 950.0,
              page, release="v1"),
    ]  # fmt: skip
    await seed.vitals(rows)
    await seed.recount()
    return project


async def get(client: AsyncTestClient, settings: Settings, project: int, view: str,
              params: dict[str, Any]) -> Any:  # fmt: skip
    response = await client.get(
        f"/v1/projects/{project}/{view}", params=params, headers=bearer(settings, [project])
    )
    assert response.status_code == 200, response.text
    return response.json()


class TestReleaseFilter:
    async def test_summary_counts_exactly_the_releases_asked_for(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """`release` selects the page views of that release (several: any of them), from
        rollups over whole days and with raw edges alike; a comma is part of a name."""
        project = await seed_releases(seed)
        for window, edge_v1 in ((WHOLE_DAYS, 2), (RAGGED, 1)):

            async def count(**filters: Any) -> int:
                body = await get(client, query_settings, project, "summary", {**window, **filters})  # noqa: B023
                return int(body["metrics"]["LCP"]["current"]["count"])

            assert await count() == 40 + edge_v1
            assert await count(release="v1") == 10 + edge_v1
            assert await count(release="v2, with a comma") == 10
            assert await count(release=["v1", "räksmörgås-🚀"]) == 20 + edge_v1
            assert await count(release="v1", device="mobile") == 10 + edge_v1
            assert await count(release="never-deployed") == 0

    async def test_the_filter_is_echoed(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """The response names the release filter it applied."""
        project = await seed_releases(seed)
        body = await get(
            client, query_settings, project, "summary", {**WHOLE_DAYS, "release": "v1"}
        )
        assert body["filters"] == {"release": ["v1"]}


class TestReleaseBreakdown:
    async def test_breakdown_by_release_counts_each_and_names_none_empty(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """`dimension=release` gives one group per release and one, named "", for page views
        without one, with the same counts from rollups and from raw edges."""
        project = await seed_releases(seed)
        for window, edge_v1 in ((WHOLE_DAYS, 2), (RAGGED, 1)):
            body = await get(client, query_settings, project, "breakdown",
                             {**window, "metric": "LCP", "dimension": "release"})  # fmt: skip
            assert {g["value"]: g["count"] for g in body["groups"]} == {
                "v1": 10 + edge_v1, "v2, with a comma": 10, "räksmörgås-🚀": 10, "": 10,
            }  # fmt: skip
