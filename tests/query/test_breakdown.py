"""GET /v1/projects/{id}/breakdown: one metric by one dimension, sorted and paginated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from litestar.testing import AsyncTestClient

from services.contracts.metrics import Device, Metric
from services.contracts.settings import Settings
from tests.query.conftest import bearer
from tests.query.seeding import Seeder, Vital

START = datetime(2025, 5, 5, 7, 30, tzinfo=UTC)
WINDOW = {"from": "2025-05-05T00:00:00Z", "to": "2025-05-08T00:00:00Z"}
# route -> LCP values of its page views
ROUTES = {
    "/": [800.0] * 40,
    "/products/:id": [2000.0 + 50 * i for i in range(35)],
    "/cart": [4500.0, 5200.0, 3900.0],
    "/checkout": [1200.0] * 12,
}


async def seed_routes(seed: Seeder) -> int:
    project = await seed.project()
    rows = []
    for index, (route, values) in enumerate(ROUTES.items()):
        # Two pages behind one route: the breakdown groups by route, not by path.
        pages = [
            await seed.page(project, f"{route.replace(':id', str(n))}/v{n}-{index}", route)
            for n in (1, 2)
        ]
        for i, value in enumerate(values):
            device = Device.DESKTOP if i % 3 == 0 else Device.MOBILE
            rows.append(
                Vital(
                    project,
                    START + timedelta(minutes=97 * i),
                    Metric.LCP,
                    value,
                    pages[i % 2],
                    device=device,
                    browser="Firefox" if i % 5 == 0 else "Chrome",
                )
            )
    await seed.vitals(rows)
    await seed.recount()
    return project


async def breakdown(
    client: AsyncTestClient, settings: Settings, project: int, **params: Any
) -> Any:
    response = await client.get(
        f"/v1/projects/{project}/breakdown",
        params={"metric": "LCP", **WINDOW, **params},
        headers=bearer(settings, [project]),
    )
    assert response.status_code == 200, response.text
    return response.json()


class TestBreakdown:
    async def test_routes_sorted_by_count(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """The route breakdown lists each route once with exact counts, most samples first, and p75 within 1 %."""
        project = await seed_routes(seed)
        body = await breakdown(client, query_settings, project)
        assert [(g["value"], g["count"]) for g in body["groups"]] == [
            ("/", 40),
            ("/products/:id", 35),
            ("/checkout", 12),
            ("/cart", 3),
        ]
        products = body["groups"][1]
        assert products["p75"] == pytest.approx(
            float(np.quantile(ROUTES["/products/:id"], 0.75, method="inverted_cdf")), rel=0.01
        )
        assert products["percentile"] == pytest.approx(
            float(np.quantile(ROUTES["/products/:id"], 0.95, method="inverted_cdf")), rel=0.01
        )
        assert body["total"] == 4

    async def test_low_samples_are_flagged(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """Groups under 30 samples carry low_sample: true, the others false."""
        project = await seed_routes(seed)
        flags = {
            g["value"]: g["low_sample"]
            for g in (await breakdown(client, query_settings, project))["groups"]
        }
        assert flags == {"/": False, "/products/:id": False, "/checkout": True, "/cart": True}

    async def test_sort_by_p75_ascending_and_paginate(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """Sorting by p75 ascending with limit and offset pages through the groups without repeats."""
        project = await seed_routes(seed)
        first = await breakdown(client, query_settings, project, sort="p75", order="asc", limit=2)
        second = await breakdown(
            client, query_settings, project, sort="p75", order="asc", limit=2, offset=2
        )
        assert [g["value"] for g in first["groups"]] == ["/", "/checkout"]
        assert [g["value"] for g in second["groups"]] == ["/products/:id", "/cart"]
        assert first["total"] == second["total"] == 4

    async def test_poor_share_sort(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """Sorting by poor share puts the worst route first, with exact rating shares."""
        project = await seed_routes(seed)
        worst = (await breakdown(client, query_settings, project, sort="poor_share"))["groups"][0]
        assert worst["value"] == "/cart"
        assert worst["ratings"] == {"good": 0, "needs_improvement": 1, "poor": 2}
        assert worst["shares"]["poor"] == pytest.approx(2 / 3)

    async def test_devices_by_name(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """A device breakdown names the device classes and counts them exactly."""
        project = await seed_routes(seed)
        groups = (await breakdown(client, query_settings, project, dimension="device"))["groups"]
        expected_desktop = sum(len(range(0, len(v), 3)) for v in ROUTES.values())
        assert {g["value"]: g["count"] for g in groups} == {
            "desktop": expected_desktop,
            "mobile": 90 - expected_desktop,
        }

    async def test_browser_breakdown_with_route_filter(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """A dimension no rollup keeps, filtered by route, is answered from raw rows with exact counts."""
        project = await seed_routes(seed)
        groups = (await breakdown(client, query_settings, project, dimension="browser", route="/"))[
            "groups"
        ]
        assert {g["value"]: g["count"] for g in groups} == {"Chrome": 32, "Firefox": 8}
