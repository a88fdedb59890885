"""GET /releases and /releases/{release}/comparison (issue 13): the releases a project's
page views named, and a release against the one before, a named one, or a time window,
read from the route rollups."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from litestar.testing import AsyncTestClient

from services.contracts.metrics import Device, Metric
from services.contracts.settings import Settings
from tests.query.conftest import bearer
from tests.query.seeding import Seeder, Vital

DAY_ONE = datetime(2025, 6, 2, tzinfo=UTC)
PER_CELL = 300  # LCP samples per release, route and device


def spread(median: float, n: int, factor: float = 1.0) -> list[float]:
    return [median * factor * math.exp(-1.2 + 2.4 * (i + 0.5) / n) for i in range(n)]


async def seed_two_releases(seed: Seeder, *, slower: float = 1.4) -> int:
    """Release "a" on day one, "b" (the SLOWER one on /checkout, mobile only) on day three;
    each on /checkout and /home, mobile and desktop."""
    project = await seed.project()
    pages = {route: await seed.page(project, route) for route in ("/checkout", "/home")}
    rows = []
    for release, day in (("a", DAY_ONE), ("b", DAY_ONE + timedelta(days=2))):
        for route, page in pages.items():
            for device in (Device.MOBILE, Device.DESKTOP):
                factor = (
                    slower if (release, route, device) == ("b", "/checkout", Device.MOBILE) else 1
                )
                for i, value in enumerate(spread(2000, PER_CELL, factor)):
                    at = day + timedelta(minutes=2 * i + 1)
                    rows.append(Vital(project, at, Metric.LCP, value, page, device=device,
                                      release=release))  # fmt: skip
    await seed.vitals(rows)
    await seed.recount()
    await seed.db.execute(
        """INSERT INTO releases (project_id, name, first_seen, last_seen)
           SELECT project_id, release, min(time), max(time) FROM vitals
           WHERE project_id = $1 GROUP BY 1, 2""",
        project,
    )
    return project


async def get(client: AsyncTestClient, settings: Settings, project: int, path: str,
              status: int = 200, **params: Any) -> Any:  # fmt: skip
    response = await client.get(
        f"/v1/projects/{project}{path}", params=params, headers=bearer(settings, [project])
    )
    assert response.status_code == status, response.text
    return response.json()


class TestReleaseList:
    async def test_lists_releases_newest_first_with_samples_per_metric(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        project = await seed_two_releases(seed)
        body = await get(client, query_settings, project, "/releases")
        assert [r["name"] for r in body["releases"]] == ["b", "a"]
        assert body["releases"][0]["samples"] == {
            "LCP": 4 * PER_CELL, "INP": 0, "CLS": 0, "FCP": 0, "TTFB": 0,
        }  # fmt: skip
        assert body["releases"][1]["first_seen"].startswith("2025-06-02T00:01")


class TestComparison:
    async def test_names_exactly_the_slower_route_and_device(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """B against the release before it (A): /checkout on mobile is regressed by ~40 %,
        first among the routes, and every other route and device is unchanged."""
        project = await seed_two_releases(seed)
        body = await get(client, query_settings, project, "/releases/b/comparison")
        assert body["baseline"]["kind"] == "release" and body["baseline"]["release"] == "a"
        lcp = body["metrics"]["LCP"]
        regressed = [(r["route"], r["device"]) for r in lcp["routes"]
                     if r["comparison"]["verdict"] == "regressed"]  # fmt: skip
        assert ("/checkout", "mobile") in regressed
        assert set(regressed) <= {("/checkout", "mobile"), ("/checkout", None)}
        first = lcp["routes"][0]
        assert (first["route"], first["device"]) == ("/checkout", "mobile")
        change = first["comparison"]["change"]
        assert 0.3 < change["p75_relative"] < 0.5
        assert change["p75_ci95"][0] < change["p75_relative"] < change["p75_ci95"][1]
        others = [r for r in lcp["routes"] if r["route"] == "/home" or r["device"] == "desktop"]
        assert len(others) == 4
        assert all(r["comparison"]["verdict"] == "unchanged" for r in others)
        assert lcp["devices"]["desktop"]["verdict"] == "unchanged"
        assert body["metrics"]["INP"]["overall"]["verdict"] == "insufficient_data"

    async def test_an_equal_release_is_unchanged_everywhere(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        project = await seed_two_releases(seed, slower=1.0)
        lcp = (await get(client, query_settings, project, "/releases/b/comparison"))["metrics"][
            "LCP"
        ]
        verdicts = {r["comparison"]["verdict"] for r in lcp["routes"]}
        assert verdicts == {"unchanged"}
        assert lcp["overall"]["verdict"] == "unchanged"

    async def test_a_named_baseline_and_a_time_window(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """`baseline=a` names the same baseline; a window over day one (release a's page
        views) gives the same counts."""
        project = await seed_two_releases(seed)
        named = await get(client, query_settings, project, "/releases/b/comparison", baseline="a")
        window = await get(
            client, query_settings, project, "/releases/b/comparison",
            baseline_from="2025-06-02T00:00:00Z", baseline_to="2025-06-03T00:00:00Z",
        )  # fmt: skip
        assert window["baseline"]["kind"] == "window"
        for body in (named, window):
            assert body["metrics"]["LCP"]["overall"]["baseline"]["count"] == 4 * PER_CELL

    async def test_the_first_release_has_no_baseline(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        project = await seed_two_releases(seed)
        body = await get(client, query_settings, project, "/releases/a/comparison")
        assert body["baseline"] is None and body["metrics"] == {}


class TestHostile:
    async def test_unknown_releases_and_contradictory_baselines_are_clear_4xx(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        project = await seed_two_releases(seed)
        missing = await get(client, query_settings, project, "/releases/nope/comparison", 404)
        assert missing["error"] == "release_not_found"
        # A name percent-encoded in the path is looked up decoded.
        await seed.db.execute(
            "INSERT INTO releases VALUES ($1, 'räksmörgås-🚀', '2025-06-06', '2025-06-06')",
            project,
        )
        unicode = quote("räksmörgås-🚀", safe="")
        found = await get(client, query_settings, project, f"/releases/{unicode}/comparison")
        assert found["release"] == "räksmörgås-🚀" and found["baseline"]["release"] == "b"
        both = await get(client, query_settings, project, "/releases/b/comparison", 400,
                         baseline="a", baseline_from="2025-06-02T00:00:00Z",
                         baseline_to="2025-06-03T00:00:00Z")  # fmt: skip
        assert both["error"] == "invalid_parameter"
        half = await get(client, query_settings, project, "/releases/b/comparison", 400,
                         baseline_from="2025-06-02T00:00:00Z")  # fmt: skip
        assert half["error"] == "invalid_parameter"
        unknown_base = await get(client, query_settings, project, "/releases/b/comparison",
                                 404, baseline="zz")  # fmt: skip
        assert unknown_base["error"] == "release_not_found"
        # A NUL (PostgreSQL cannot compare it) is a 400; a 10 KiB name a 404, never a 500.
        nul = await get(client, query_settings, project, "/releases/a%00b/comparison", 400)
        assert nul["error"] == "invalid_parameter"
        nul_base = await get(client, query_settings, project, "/releases/b/comparison", 400,
                             baseline="a\x00")  # fmt: skip
        assert nul_base["error"] == "invalid_parameter"
        huge = await get(client, query_settings, project, f"/releases/{'r' * 10240}/comparison",
                         404)  # fmt: skip
        assert huge["error"] == "release_not_found"

    async def test_another_projects_token_sees_nothing(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        project = await seed_two_releases(seed)
        other = await seed.project("other")
        for path in ("/releases", "/releases/b/comparison"):
            response = await client.get(
                f"/v1/projects/{project}{path}", headers=bearer(query_settings, [other])
            )
            assert response.status_code == 403


class TestDeploys:
    async def test_deploys_in_the_window_newest_first_and_in_the_releases_list(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """GET /deploys lists the markers inside the window, newest first; the releases list
        gives each release its latest deploy time, and none where none was recorded."""
        project = await seed_two_releases(seed)
        await seed.db.executemany(
            "INSERT INTO deploys (project_id, release, at, url) VALUES ($1, $2, $3, $4)",
            [
                (project, "a", DAY_ONE, None),
                (project, "b", DAY_ONE + timedelta(days=2), "https://ci.example/2"),
                (project, "b", DAY_ONE + timedelta(days=20), None),  # outside the window
            ],
        )
        body = await get(client, query_settings, project, "/deploys",
                         **{"from": "2025-06-01T00:00:00Z", "to": "2025-06-10T00:00:00Z"})  # fmt: skip
        assert [(d["release"], d["at"][:10], d["url"]) for d in body["deploys"]] == [
            ("b", "2025-06-04", "https://ci.example/2"), ("a", "2025-06-02", None),
        ]  # fmt: skip
        listed = (await get(client, query_settings, project, "/releases"))["releases"]
        assert {r["name"]: r["deployed_at"][:10] for r in listed} == {
            "b": "2025-06-22", "a": "2025-06-02",
        }  # fmt: skip
        other = await seed.project("other")
        response = await client.get(
            f"/v1/projects/{project}/deploys", headers=bearer(query_settings, [other])
        )
        assert response.status_code == 403
