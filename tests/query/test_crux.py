"""POST /v1/records:queryRecord: the Chrome UX Report API's record shape over our data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from litestar.testing import AsyncTestClient

from services.contracts.metrics import Device, Metric
from services.contracts.settings import Settings
from tests.query.conftest import bearer
from tests.query.seeding import Seeder, Vital

LCP = [1000.0, 2000.0, 2400.0, 3000.0, 3500.0, 5000.0, 1500.0, 2200.0, 800.0, 4200.0]
CLS = [0.0, 0.05, 0.12, 0.3]


async def seed_site(seed: Seeder) -> tuple[int, int]:
    project = await seed.project()
    home = await seed.page(project, "/", "/")
    other = await seed.page(project, "/about", "/about")
    now = datetime.now(UTC) - timedelta(hours=1)
    rows = [
        Vital(project, now - timedelta(days=i % 20), Metric.LCP, v, home, device=Device.MOBILE)
        for i, v in enumerate(LCP)
    ]
    rows += [Vital(project, now, Metric.CLS, v, home, device=Device.DESKTOP) for v in CLS]
    rows += [Vital(project, now, Metric.LCP, 9000.0, other, device=Device.DESKTOP)]
    rows += [
        Vital(project, now - timedelta(days=40), Metric.LCP, 100.0, home)
    ]  # outside the 28 days
    await seed.vitals(rows)
    await seed.recount()
    return project, home


async def record(
    client: AsyncTestClient, settings: Settings, project: int, body: dict[str, Any], **params: Any
) -> Any:
    return await client.post(
        "/v1/records:queryRecord", json=body, params=params, headers=bearer(settings, [project])
    )


class TestCruxRecord:
    async def test_origin_record_shape(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """An origin record has CrUX's key, three threshold bins with densities, p75 and a 28-day collection period."""
        project, _ = await seed_site(seed)
        response = await record(
            client,
            query_settings,
            project,
            {"origin": "https://shop.example", "formFactor": "PHONE"},
        )
        assert response.status_code == 200, response.text
        body = response.json()["record"]
        assert body["key"] == {"formFactor": "PHONE", "origin": "https://shop.example"}
        lcp = body["metrics"]["largest_contentful_paint"]
        assert [(b["start"], b.get("end")) for b in lcp["histogram"]] == [
            (0, 2500),
            (2500, 4000),
            (4000, None),
        ]
        assert [b["density"] for b in lcp["histogram"]] == [0.6, 0.2, 0.2]
        exact = float(np.quantile(LCP, 0.75, method="inverted_cdf"))
        assert abs(lcp["percentiles"]["p75"] - exact) <= exact * 0.01 + 1
        assert "cumulative_layout_shift" not in body["metrics"]  # CLS was desktop-only
        first, last = body["collectionPeriod"]["firstDate"], body["collectionPeriod"]["lastDate"]
        span = datetime(last["year"], last["month"], last["day"]) - datetime(
            first["year"], first["month"], first["day"]
        )
        assert span == timedelta(days=27)

    async def test_cls_as_crux_strings(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """CLS bins and p75 are strings with two decimals, as CrUX writes them."""
        project, _ = await seed_site(seed)
        response = await record(
            client,
            query_settings,
            project,
            {"origin": "https://shop.example", "metrics": ["cumulative_layout_shift"]},
        )
        cls = response.json()["record"]["metrics"]["cumulative_layout_shift"]
        assert [(b["start"], b.get("end")) for b in cls["histogram"]] == [
            ("0.00", "0.10"),
            ("0.10", "0.25"),
            ("0.25", None),
        ]
        assert cls["percentiles"]["p75"] == "0.12"
        assert [b["density"] for b in cls["histogram"]] == [0.5, 0.25, 0.25]

    async def test_url_record_counts_only_that_page(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """A url record covers that page alone."""
        project, _ = await seed_site(seed)
        response = await record(
            client,
            query_settings,
            project,
            {"url": "https://shop.example/about?utm=x", "formFactor": "DESKTOP"},
        )
        body = response.json()["record"]
        assert body["key"] == {"formFactor": "DESKTOP", "url": "https://shop.example/about"}
        assert body["metrics"]["largest_contentful_paint"]["histogram"][2]["density"] == 1.0

    async def test_unknown_origin_is_not_found(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """An origin without data answers CrUX's own 404 NOT_FOUND."""
        project, _ = await seed_site(seed)
        response = await record(
            client, query_settings, project, {"origin": "https://elsewhere.example"}
        )
        error = response.json()["error"]
        assert (response.status_code, error["status"]) == (404, "NOT_FOUND")
        assert error["message"] == "chrome ux report data not found"

    async def test_project_must_be_granted(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """Naming a project the token does not grant is 403; several granted projects need project_id."""
        project, _ = await seed_site(seed)
        other = await seed.project("other")
        forbidden = await record(
            client, query_settings, project, {"origin": "https://shop.example"}, project_id=other
        )
        assert forbidden.status_code == 403
        ambiguous = await client.post(
            "/v1/records:queryRecord",
            json={"origin": "https://shop.example"},
            headers=bearer(query_settings, [project, other]),
        )
        assert ambiguous.status_code == 400
        assert ambiguous.json()["error"]["status"] == "INVALID_ARGUMENT"
        chosen = await client.post(
            "/v1/records:queryRecord",
            json={"origin": "https://shop.example"},
            params={"project_id": project},
            headers=bearer(query_settings, [project, other]),
        )
        assert chosen.status_code == 200

    async def test_origin_or_url_exactly(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """Both origin and url, or neither, is a 400."""
        project, _ = await seed_site(seed)
        both = await record(
            client,
            query_settings,
            project,
            {"origin": "https://shop.example", "url": "https://shop.example/"},
        )
        neither = await record(client, query_settings, project, {"formFactor": "PHONE"})
        assert both.status_code == neither.status_code == 400
