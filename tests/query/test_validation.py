"""Every parameter mistake is a 400 invalid_parameter whose detail names the parameter."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from services.contracts.settings import Settings
from tests.query.conftest import bearer
from tests.query.seeding import Seeder

CASES: list[tuple[str, str, dict[str, Any], str]] = [
    # (case, view, parameters, what the detail must start with)
    ("unknown metric", "timeseries", {"metric": "FID"}, "metric: unknown metric 'FID'"),
    ("missing metric", "timeseries", {}, "metric"),
    (
        "malformed relative range",
        "summary",
        {"range": "fortnight"},
        "range: 'fortnight' is not a relative range",
    ),
    (
        "from after to",
        "summary",
        {"from": "2025-02-01", "to": "2025-01-01"},
        "from: must be earlier than to",
    ),
    (
        "from equals to",
        "summary",
        {"from": "2025-02-01", "to": "2025-02-01"},
        "from: must be earlier than to",
    ),
    (
        "absolute range too long",
        "summary",
        {"from": "2023-01-01", "to": "2025-01-01"},
        "to: the range is longer than 400 days",
    ),
    (
        "relative range too long",
        "summary",
        {"range": "500d"},
        "range: the range is longer than 400 days",
    ),
    ("to without from", "summary", {"to": "2025-01-01"}, "to: needs a from"),
    (
        "range and from together",
        "summary",
        {"range": "7d", "from": "2025-01-01"},
        "range: give either range or from/to",
    ),
    (
        "timestamp that is no timestamp",
        "summary",
        {"from": "yesterday"},
        "from: 'yesterday' is not an ISO 8601 timestamp",
    ),
    (
        "timestamp out of bounds",
        "summary",
        {"from": "1900-01-01", "to": "1900-02-01"},
        "from: must lie between",
    ),
    ("unknown time zone", "summary", {"tz": "Mars/Olympus_Mons"}, "tz: unknown time zone"),
    ("time-zone path trick", "summary", {"tz": "../../etc/passwd"}, "tz: unknown time zone"),
    (
        "unknown bucket width",
        "timeseries",
        {"metric": "LCP", "bucket": "7m"},
        "bucket: unknown width '7m'",
    ),
    (
        "too many buckets",
        "timeseries",
        {"metric": "LCP", "range": "30d", "bucket": "1m"},
        "bucket: 1m makes 43200 buckets",
    ),
    (
        "unknown percentile",
        "timeseries",
        {"metric": "LCP", "percentile": "p42"},
        "percentile: unknown percentile",
    ),
    ("unknown device", "summary", {"device": "fridge"}, "device: unknown value 'fridge'"),
    (
        "unknown navigation type",
        "summary",
        {"navigation_type": "teleport"},
        "navigation_type: unknown value",
    ),
    (
        "unknown dimension",
        "breakdown",
        {"metric": "LCP", "dimension": "planet"},
        "dimension: unknown value 'planet'",
    ),
    ("unknown sort", "breakdown", {"metric": "LCP", "sort": "mood"}, "sort: unknown value 'mood'"),
    ("limit below one", "breakdown", {"metric": "LCP", "limit": 0}, "limit"),
    ("limit not a number", "breakdown", {"metric": "LCP", "limit": "many"}, "limit"),
    ("too many histogram buckets", "histogram", {"metric": "LCP", "buckets": 5000}, "buckets"),
    (
        "too many filter values",
        "summary",
        {"browser": ",".join(f"b{i}" for i in range(51))},
        "browser: at most 50 values",
    ),
]


class TestValidation:
    @pytest.mark.parametrize(("case", "view", "params", "detail"), CASES, ids=[c[0] for c in CASES])
    async def test_rejected_with_a_clear_message(
        self,
        client: AsyncTestClient,
        seed: Seeder,
        query_settings: Settings,
        case: str,
        view: str,
        params: dict[str, Any],
        detail: str,
    ) -> None:
        """The mistake is refused with 400 invalid_parameter and a detail naming the parameter."""
        project = await seed.project()
        response = await client.get(
            f"/v1/projects/{project}/{view}",
            params=params,
            headers=bearer(query_settings, [project]),
        )
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["error"] == "invalid_parameter"
        assert body["detail"].startswith(detail), body["detail"]
