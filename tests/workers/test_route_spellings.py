"""Through the worker's write path, the spellings of one page land on one page and one
route row (issue 15, item 4)."""

from __future__ import annotations

import asyncpg

from services.contracts.metrics import Metric
from services.workers.routes import CUT
from tests.workers.factories import batch, create_project, page_view, store

SPELLINGS = (
    "https://shop.example/café",
    "https://shop.example/caf%C3%A9",
    "https://shop.example/caf%c3%a9?utm=x",
)


async def pages(db: asyncpg.Connection) -> set[tuple[str, str]]:
    return {(r["path"], r["route"]) for r in await db.fetch("SELECT path, route FROM pages")}


async def rollup_routes(db: asyncpg.Connection) -> dict[str, int]:
    rows = await db.fetch(
        "SELECT route, sum(samples)::int AS n FROM vitals_route_hourly"
        " WHERE metric = $1 GROUP BY route",
        int(Metric.LCP),
    )
    return {r["route"]: r["n"] for r in rows}


class TestRouteSpellings:
    async def test_raw_and_encoded_paths_are_one_page_and_one_route(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """Page views of /café sent raw, encoded and encoded in lower case are stored on one pages row, shown decoded, and one route in the rollup."""
        project = await create_project(db)
        outcome = await store(pool, batch(*(page_view(project, url=u) for u in SPELLINGS)))
        assert outcome.stored == 15
        assert await pages(db) == {("/café", "/café")}
        assert await rollup_routes(db) == {"/café": 3}

    async def test_a_trailing_slash_is_the_same_route_unless_the_project_keeps_it(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """/menu and /menu/ share a route by default; a project with keep_trailing_slash gets two."""
        merged = await create_project(db, "merged")
        kept = await create_project(db, "kept")
        await db.execute("UPDATE projects SET keep_trailing_slash = true WHERE id = $1", kept)
        views = [
            page_view(p, url=f"https://{slug}.example{path}")
            for p, slug in ((merged, "merged"), (kept, "kept"))
            for path in ("/menu", "/menu/")
        ]
        await store(pool, batch(*views))
        routes = await db.fetch(
            "SELECT project_id, array_agg(DISTINCT route ORDER BY route) AS routes"
            " FROM pages GROUP BY project_id"
        )
        assert {r["project_id"]: r["routes"] for r in routes} == {
            merged: ["/menu"],
            kept: ["/menu", "/menu/"],
        }

    async def test_a_path_over_the_route_limit_is_stored_with_a_cut_route(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """A page whose path is far longer than a route may be keeps its whole path; its route ends in the cut mark."""
        project = await create_project(db)
        path = "/" + "/".join(f"section-{i:03d}" for i in range(150))
        await store(pool, batch(page_view(project, url=f"https://shop.example{path}")))
        [(stored_path, route)] = await pages(db)
        assert stored_path == path
        assert route.endswith(CUT) and path.startswith(route.removesuffix(CUT) + "/")
