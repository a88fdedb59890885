"""GET /v1/projects/{id}/attribution: top elements, targets and sources with phase splits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from litestar.testing import AsyncTestClient

from services.contracts.metrics import Metric
from services.contracts.settings import Settings
from tests.query.conftest import bearer
from tests.query.seeding import Seeder, Vital

START = datetime(2025, 8, 3, tzinfo=UTC)
WINDOW = {"from": "2025-08-03T00:00:00Z", "to": "2025-08-04T00:00:00Z"}


async def attribution(
    client: AsyncTestClient, settings: Settings, project: int, metric: str
) -> Any:
    response = await client.get(
        f"/v1/projects/{project}/attribution",
        params={"metric": metric, **WINDOW},
        headers=bearer(settings, [project]),
    )
    assert response.status_code == 200, response.text
    return response.json()


class TestAttribution:
    async def test_lcp_elements_and_resources(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """LCP elements and resource URLs are ranked by count with exact p75 and per-phase mean and p75."""
        project = await seed.project()
        page = await seed.page(project)
        hero = [(2000.0 + 100 * i, (300.0, 200.0 + i, 1200.0, 300.0 - i)) for i in range(8)]
        title = [(900.0, (200.0, 0.0, 0.0, 700.0)) for _ in range(3)]
        rows = [
            Vital(
                project,
                START + timedelta(minutes=i),
                Metric.LCP,
                v,
                page,
                attr_target="img.hero",
                attr_url="https://cdn.example/hero.webp",
                phases=p,
            )
            for i, (v, p) in enumerate(hero)
        ]
        rows += [
            Vital(
                project,
                START + timedelta(hours=2, minutes=i),
                Metric.LCP,
                v,
                page,
                attr_target="h1.title",
                phases=p,
            )
            for i, (v, p) in enumerate(title)
        ]
        await seed.vitals(rows)
        body = await attribution(client, query_settings, project, "LCP")
        elements = body["groups"]["element"]
        assert [(e["value"], e["count"]) for e in elements] == [("img.hero", 8), ("h1.title", 3)]
        assert elements[0]["share"] == pytest.approx(8 / 11)
        assert elements[0]["p75"] == float(
            np.quantile([v for v, _ in hero], 0.75, method="inverted_cdf")
        )
        delay = elements[0]["phases"][1]
        assert delay["name"] == "resource_load_delay"
        assert delay["mean"] == pytest.approx(np.mean([p[1] for _, p in hero]))
        assert delay["p75"] == float(
            np.quantile([p[1] for _, p in hero], 0.75, method="inverted_cdf")
        )
        assert [(r["value"], r["count"]) for r in body["groups"]["resource"]] == [
            ("https://cdn.example/hero.webp", 8)
        ]
        assert body["count"] == 11

    async def test_inp_targets_and_interaction_types(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """INP groups by interaction target and by interaction type, with the three INP phases."""
        project = await seed.project()
        page = await seed.page(project)
        rows = [
            Vital(
                project,
                START + timedelta(minutes=i),
                Metric.INP,
                150.0 + i,
                page,
                attr_target="button.buy" if i < 6 else "a.nav",
                attr_kind="pointer" if i % 4 else "keyboard",
                phases=(10.0, 100.0, 40.0 + i, None),
            )
            for i in range(10)
        ]
        await seed.vitals(rows)
        body = await attribution(client, query_settings, project, "INP")
        assert [(t["value"], t["count"]) for t in body["groups"]["target"]] == [
            ("button.buy", 6),
            ("a.nav", 4),
        ]
        assert {t["value"]: t["count"] for t in body["groups"]["interaction_type"]} == {
            "pointer": 7,
            "keyboard": 3,
        }
        assert [p["name"] for p in body["phases"]] == [
            "input_delay",
            "processing_duration",
            "presentation_delay",
        ]
        assert body["phases"][1]["mean"] == pytest.approx(100.0)

    async def test_cls_sources_skip_unattributed_rows(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """CLS shift sources list attributed shifts only, while the count covers every sample."""
        project = await seed.project()
        page = await seed.page(project)
        rows = [
            Vital(
                project,
                START + timedelta(minutes=i),
                Metric.CLS,
                0.2,
                page,
                attr_target="div.ad",
                phases=(0.15, 800.0, None, None),
            )
            for i in range(4)
        ]
        rows += [
            Vital(project, START + timedelta(hours=1, minutes=i), Metric.CLS, 0.0, page)
            for i in range(6)
        ]
        await seed.vitals(rows)
        body = await attribution(client, query_settings, project, "CLS")
        assert body["groups"]["source"] == [
            {"value": "div.ad", "count": 4, "share": 0.4, "low_sample": True, "p75": 0.2, "phases": [
                {"name": "largest_shift_value", "mean": pytest.approx(0.15), "p75": pytest.approx(0.15)},
                {"name": "largest_shift_time", "mean": 800.0, "p75": 800.0},
            ]},
        ]  # fmt: skip
        assert body["count"] == 10
