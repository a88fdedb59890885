"""The SDK end to end (issue 6): a test page in headless Chromium embeds the SDK, its
beacons reach the real ingest, a worker stores them and the query API reports the page
views with their metrics, attribution and route.

Real processes on free ports (ingest, one worker, query) share the suite's test database
and a Redis of the test's own. `sdk/tests/e2e/full-stack.mjs` serves the page and drives
Chromium; it keeps the browser open until the rows are stored, so no beacon is cut off.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from typing import Any

import asyncpg
import httpx

from services.cli import catalog
from services.contracts import key_registry as registry
from services.contracts.metrics import Metric
from services.contracts.redis_client import async_redis
from services.contracts.settings import Settings
from services.contracts.tokens import mint_token
from tests.e2e.sdk.conftest import SDK, System
from tests.e2e.stack import drain, scrape, total
from tests.support.processes import (
    OUTPUT,
    free_port,
)

SCRIPT = SDK / "tests" / "e2e" / "full-stack.mjs"
METRICS = tuple(m.name for m in Metric)
STORED_TIMEOUT_S = 60.0
# The template the SPA's router declares for /items/1: not what the workers would derive
# from the path (`/items/:id`), so seeing it proves the beacon's route field was used.
ITEM_ROUTE = "/items/:itemId"


async def open_project(db: asyncpg.Connection, settings: Settings, origin: str) -> tuple[int, str]:
    """A project that admits the test page's origin and keeps bots' beacons (headless
    Chromium says HeadlessChrome), with a key published as `vitals key create` does."""
    project = await catalog.create_project(
        db, slug="sdk-e2e", name="SDK e2e", allowed_origins=[origin],
        rate_limit_per_minute=600_000, filter_bots=False,
    )  # fmt: skip
    key = await catalog.create_key(db, project.id, "sdk e2e")
    client = async_redis(settings)
    try:
        await registry.rebuild(client, lambda: registry.active_key_access(db))
    finally:
        await client.aclose()
    return project.id, key


async def stored(db: asyncpg.Connection, project_id: int) -> set[tuple[str, str]]:
    """(route, metric) of every row the workers wrote for the project."""
    rows = await db.fetch(
        "SELECT DISTINCT p.route, v.metric FROM vitals v JOIN pages p ON p.id = v.page_id"
        " WHERE v.project_id = $1",
        project_id,
    )
    return {(row["route"], Metric(row["metric"]).name) for row in rows}


async def visit(
    scenario: str, system: System, db: asyncpg.Connection, *, expected: set[tuple[str, str]],
    release: str | None = None,
) -> tuple[int, str, dict[str, Any]]:  # fmt: skip
    """Runs one scenario of full-stack.mjs for a new project and waits until the workers
    stored `expected` (route, metric) pairs; the project, the page origin and what the
    browser saw. `release`: the script tag's data-release."""
    page_port = free_port()
    origin = f"http://127.0.0.1:{page_port}"
    project_id, key = await open_project(db, system.settings, origin)
    config = {
        "scenario": scenario, "ingestUrl": system.ingest.url, "pagePort": page_port,
        "key": key, "distDir": str(SDK / "dist"), "release": release,
    }  # fmt: skip
    OUTPUT.mkdir(exist_ok=True)
    with (OUTPUT / f"sdk-e2e-{scenario}.stderr.log").open("wb") as stderr:
        node = await asyncio.create_subprocess_exec(
            "node", str(SCRIPT), json.dumps(config), cwd=SDK,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
        )  # fmt: skip
        try:
            assert node.stdin is not None and node.stdout is not None
            left = await asyncio.wait_for(node.stdout.readline(), 120)
            assert json.loads(left or "{}").get("event") == "left", f"full-stack.mjs: {left!r}"
            await _wait_stored(system, db, project_id, expected)
            node.stdin.close()
            out, _ = await asyncio.wait_for(node.communicate(), 60)
        finally:
            if node.returncode is None:
                node.kill()
                await node.wait()
    assert node.returncode == 0, f"full-stack.mjs exited {node.returncode}: {out!r}"
    observed: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return project_id, origin, observed


async def _wait_stored(
    system: System, db: asyncpg.Connection, project_id: int, expected: set[tuple[str, str]]
) -> None:
    deadline = asyncio.get_running_loop().time() + STORED_TIMEOUT_S
    while not expected <= (found := await stored(db, project_id)):
        if asyncio.get_running_loop().time() > deadline:
            beacons = {
                labels: value
                for (name, labels), value in scrape(system.ingest).items()
                if name == "vitals_ingest_beacons_total"
            }
            raise AssertionError(
                f"stored {sorted(found)}, missing {sorted(expected - found)};"
                f" ingest's beacon outcomes: {beacons}"
            )
        await asyncio.sleep(0.2)
    # Re-reports (a grown CLS or INP) may still be queued: let them land too.
    await drain(system.settings)


def api(system: System, project_id: int, view: str, **params: str) -> Any:
    """GET a project view of the query API with a token for that project."""
    token = mint_token(system.settings, subject="t", projects=[project_id], lifetime_s=600)
    response = httpx.get(
        f"{system.query.url}/v1/projects/{project_id}/{view}",
        params=params, headers={"Authorization": f"Bearer {token}"}, timeout=30,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()


def assert_all_accepted(system: System) -> None:
    """Ingest took every beacon the page sent (sendBeacon's answers are not observable in
    the page): none refused for its origin, key, shape or a bot user agent."""
    accepted = total([system.ingest], "vitals_ingest_beacons_total", outcome="accepted")
    dropped = total([system.ingest], "vitals_ingest_beacons_total", outcome="dropped")
    assert accepted >= 1 and dropped == 0, (accepted, dropped)


def counts(summary: dict[str, Any]) -> dict[str, int]:
    return {name: m["current"]["count"] for name, m in summary["metrics"].items()}


def values(attribution: dict[str, Any], grouping: str) -> list[str]:
    return [group["value"] for group in attribution["groups"][grouping]]


class TestScriptTag:
    async def test_a_page_view_reaches_the_query_api_with_metrics_and_attribution(
        self, system: System, db: asyncpg.Connection
    ) -> None:
        """A page embedding ingest's /sdk/vitals.js with data-key reports all five metrics, and the query API shows them with the image as LCP element and the button as INP target."""
        project_id, origin, observed = await visit(
            "script-tag", system, db, expected={("/", name) for name in METRICS}
        )
        assert observed["errors"] == []
        assert_all_accepted(system)

        summary = counts(api(system, project_id, "summary"))
        assert all(summary[name] >= 1 for name in METRICS), summary

        lcp = api(system, project_id, "attribution", metric="LCP")
        assert "#hero" in values(lcp, "element")
        assert f"{origin}/hero.png" in values(lcp, "resource")
        inp = api(system, project_id, "attribution", metric="INP")
        assert "#buy" in values(inp, "target")
        assert "pointer" in values(inp, "interaction_type")
        assert inp["p75"] >= 300  # the handler's 300 ms of work
        cls = api(system, project_id, "attribution", metric="CLS")
        assert cls["count"] >= 1 and values(cls, "source")


class TestSinglePageApp:
    async def test_a_route_change_is_a_page_view_under_the_declared_template(
        self, system: System, db: asyncpg.Connection
    ) -> None:
        """The ESM build in an SPA reports the route change as a soft navigation whose page keeps its real path and the route template its router declared, shown in the route breakdown."""
        soft_view = {(ITEM_ROUTE, name) for name in ("FCP", "LCP", "INP")}
        project_id, _, observed = await visit(
            "spa", system, db, expected={("/", "LCP"), ("/", "CLS"), ("/", "TTFB")} | soft_view
        )
        assert observed["errors"] == []
        assert observed["urls"][-1].endswith("/items/1")
        assert_all_accepted(system)

        # The URL stayed the real location; the template came from the beacon's route.
        pages = await db.fetch("SELECT path, route FROM pages WHERE project_id = $1", project_id)
        assert {(p["path"], p["route"]) for p in pages} == {("/", "/"), ("/items/1", ITEM_ROUTE)}

        summary = counts(api(system, project_id, "summary"))
        assert all(summary[name] >= 1 for name in METRICS), summary
        routes = api(system, project_id, "breakdown", metric="LCP", dimension="route")
        assert {g["value"] for g in routes["groups"]} == {"/", ITEM_ROUTE}
        navigation = api(system, project_id, "breakdown", metric="FCP", dimension="navigation_type")
        assert {"navigate", "soft-navigation"} <= {g["value"] for g in navigation["groups"]}
        item = api(system, project_id, "attribution", metric="INP", route=ITEM_ROUTE)
        assert "#buy" in values(item, "target")
        lcp = api(system, project_id, "attribution", metric="LCP", route="/")
        assert "#hero" in values(lcp, "element")
