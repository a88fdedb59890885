"""Releases end to end (issue 13), through real processes: the built SDK in headless
Chromium names its release with data-release; a CI job records a deploy with `curl` and
a deploy token; two releases' traffic goes through ingest, the second slower on one route
and device only; the comparison names exactly that route and device as regressed, the
rest unchanged, and the CI gate (`curl` again, same token) fails the release."""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import time
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from services.cli import catalog
from services.contracts import key_registry as registry
from services.contracts import wire
from services.contracts.redis_client import async_redis
from services.contracts.settings import Settings
from tests.e2e.sdk.test_sdk_full_stack import METRICS, System, api, visit
from tests.e2e.stack import drain
from tests.support.cli import vitals
from tests.support.processes import ServiceProcess, uvicorn_service
from tests.workers.factories import beacon, report

ADMIN_FACTORY = "services.admin.app:create_app"
ROUTES = ("/checkout", "/home")
AGENTS = {
    "mobile": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "desktop": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/124.0.0.0 Safari/537.36",
}
PER_CELL = 200  # page views per release, route and device
SLOW = ("v2", "/checkout", "mobile")  # 1.5× the LCP of everything else


@pytest.fixture
def admin(system: System) -> Iterator[ServiceProcess]:
    process = uvicorn_service("admin", ADMIN_FACTORY, system.settings)
    try:
        process.wait_healthy(60)
        yield process
    finally:
        process.stop()


def lcp_values(factor: float) -> list[float]:
    """The same spread of LCPs for every cell (median 2 s), scaled by `factor`."""
    return [2000 * factor * math.exp(-1.2 + 2.4 * (i + 0.5) / PER_CELL) for i in range(PER_CELL)]


async def send_releases(system: System, key: str, origin: str) -> int:
    """v1 then v2, each PER_CELL page views per route and device, through ingest."""
    sent = 0
    async with httpx.AsyncClient(timeout=10) as client:
        for release in ("v1", "v2"):
            posts = []
            for route in ROUTES:
                for device, agent in AGENTS.items():
                    factor = 1.5 if (release, route, device) == SLOW else 1.0
                    for i, value in enumerate(lcp_values(factor)):
                        sent += 1
                        body = wire.encode(beacon(
                            report("LCP", value, metric_id=f"{release}-{route}-{device}-{i}"),
                            url=f"https://shop.example{route}", release=release,
                            time_origin=time.time() * 1000 - 5_000 - sent,
                        ))  # fmt: skip
                        headers = {"content-type": "text/plain", "user-agent": agent,
                                   "origin": origin}  # fmt: skip
                        posts.append((body, headers))
            for start in range(0, len(posts), 50):
                answers = await asyncio.gather(*(
                    client.post(f"{system.ingest.url}/v1/beacon", params={"key": key},
                                content=body, headers=headers)
                    for body, headers in posts[start : start + 50]
                ))  # fmt: skip
                assert all(a.status_code == 202 for a in answers), [a.text for a in answers][:3]
            await asyncio.sleep(1.1)  # v2 is first seen after v1
    return sent


async def second_key(db: asyncpg.Connection, settings: Settings, project_id: int) -> str:
    key = await catalog.create_key(db, project_id, "load")
    client = async_redis(settings)
    try:
        await registry.rebuild(client, lambda: registry.active_key_access(db))
    finally:
        await client.aclose()
    return key


def curl(*args: str) -> tuple[int, dict[str, object]]:
    """curl as a CI job runs it: the status on the last line, the JSON body before it."""
    result = subprocess.run(
        ["curl", "-sS", "-w", "\n%{http_code}", *args],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    body, _, status = result.stdout.rpartition("\n")
    return int(status), json.loads(body)


class TestReleaseRegression:
    async def test_the_slower_route_and_device_is_named_and_gated(
        self, system: System, admin: ServiceProcess, db: asyncpg.Connection
    ) -> None:
        # The browser: the SDK reports its release.
        project_id, origin, observed = await visit(
            "script-tag", system, db, expected={("/", name) for name in METRICS}, release="v1"
        )
        assert observed["errors"] == []
        releases = await db.fetch("SELECT DISTINCT release FROM vitals WHERE project_id = $1",
                                  project_id)  # fmt: skip
        assert [r["release"] for r in releases] == ["v1"]

        # CI records the deploy of v2 with a deploy token and one curl line.
        created = vitals(system.settings, "deploy-token", "create", "--project", str(project_id),
                         "--label", "GitHub Actions")  # fmt: skip
        token = json.loads(created.stdout)["token"]
        status, deploy = curl(
            "-X", "POST", f"{admin.url}/v1/projects/sdk-e2e/deploys",
            "-H", f"Authorization: Bearer {token}", "-H", "Content-Type: application/json",
            "-d", '{"release": "v2", "url": "https://ci.example/runs/42"}',
        )  # fmt: skip
        assert status == 201 and deploy["release"] == "v2", deploy

        # Two releases' traffic through ingest; the workers store it.
        sent = await send_releases(
            system, await second_key(db, system.settings, project_id), origin
        )
        await drain(system.settings, timeout_s=120)
        stored = await db.fetchval(
            "SELECT count(*) FROM vitals WHERE project_id = $1 AND release IN ('v1', 'v2')"
            " AND metric = 1 AND time > now() - interval '1 hour'", project_id,
        )  # fmt: skip
        assert stored >= sent

        comparison = api(system, project_id, "releases/v2/comparison")
        assert comparison["baseline"]["release"] == "v1"
        lcp = comparison["metrics"]["LCP"]
        verdicts = {(r["route"], r["device"]): r["comparison"]["verdict"] for r in lcp["routes"]}
        cells = {k: v for k, v in verdicts.items() if k[1] is not None and k[0] in ROUTES}
        assert cells == {
            ("/checkout", "mobile"): "regressed",
            ("/checkout", "desktop"): "unchanged",
            ("/home", "mobile"): "unchanged",
            ("/home", "desktop"): "unchanged",
        }, verdicts
        assert verdicts[("/home", None)] == "unchanged"
        assert lcp["devices"]["desktop"]["verdict"] == "unchanged"
        assert lcp["routes"][0]["route"] != "/home"  # regressions first

        listed = {r["name"]: r for r in api(system, project_id, "releases")["releases"]}
        assert listed["v2"]["deployed_at"] == deploy["at"]
        deploys = api(system, project_id, "deploys", range="24h")["deploys"]
        assert [d["release"] for d in deploys] == ["v2"]

        # The CI gate: budgets met, but the regression fails the release.
        status, verdict = curl(
            "-X", "POST", f"{system.query.url}/v1/projects/{project_id}/releases/v2/check",
            "-H", f"Authorization: Bearer {token}", "-H", "Content-Type: application/json",
            "-d", json.dumps({"budgets": [{"metric": "LCP", "p75": 10_000}]}),
        )  # fmt: skip
        assert status == 200 and verdict["status"] == "failed", verdict
        assert any((r["route"], r["device"]) == ("/checkout", "mobile")
                   for r in verdict["regressions"])  # fmt: skip
