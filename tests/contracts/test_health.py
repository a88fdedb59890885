"""The /ready shape every service shares: ready, degraded (still 200) or unavailable (503)."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.datastructures import State
from litestar.testing import AsyncTestClient

from services.contracts.health import Check, Degraded, health_router
from services.contracts.settings import Settings
from tests.support.ops import OPS_HEADERS


async def fine(state: State) -> None:
    return None


async def degraded(state: State) -> None:
    raise Degraded("job 1001 (public.action): 3 failures in a row", jobs=[1001])


async def down(state: State) -> None:
    raise ConnectionRefusedError("connection refused")


def app(settings: Settings, checks: dict[str, Check]) -> Litestar:
    return Litestar([health_router(checks)], state=State({"settings": settings}))


class TestReady:
    async def test_degraded_stays_200_with_the_reason_to_the_ops_token(
        self, base_settings: Settings
    ) -> None:
        """A Degraded check answers 200 `degraded`; the ops token also gets its reason and facts."""
        checks: dict[str, Check] = {"database": fine, "jobs": degraded}
        async with AsyncTestClient(app(base_settings, checks)) as client:
            public = await client.get("/ready")
            detailed = await client.get("/ready", headers=OPS_HEADERS)
        assert (public.status_code, public.json()) == (200, {"status": "degraded"})
        assert detailed.status_code == 200
        assert detailed.json() == {
            "status": "degraded",
            "checked": ["database", "jobs"],
            "degraded": {
                "jobs": {"reason": "job 1001 (public.action): 3 failures in a row", "jobs": [1001]}
            },
        }

    @pytest.mark.parametrize("order", [("jobs", "database"), ("database", "jobs")])
    async def test_a_failing_check_still_makes_it_unavailable(
        self, base_settings: Settings, order: tuple[str, str]
    ) -> None:
        """A check that fails answers 503 whether a degraded one ran before it or not."""
        by_name: dict[str, Check] = {"jobs": degraded, "database": down}
        checks = {name: by_name[name] for name in order}
        async with AsyncTestClient(app(base_settings, checks)) as client:
            response = await client.get("/ready", headers=OPS_HEADERS)
        assert response.status_code == 503
        assert response.json()["failing"] == "database"

    async def test_all_fine_is_ready(self, base_settings: Settings) -> None:
        """With every check passing the answer is 200 `ready`, as before."""
        async with AsyncTestClient(app(base_settings, {"database": fine})) as client:
            response = await client.get("/ready", headers=OPS_HEADERS)
        assert response.json() == {"status": "ready", "checked": ["database"]}
