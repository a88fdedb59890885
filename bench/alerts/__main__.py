"""`make bench-alerts`: the alert evaluator's cycle, 1,000 rules over 1,000 projects.

The projects are clones of the 30-day benchmark data set's eleven (`make bench-query`
loads it; this loads it too when missing): each clone gets its source project's hourly
rollups of the last three hours and of the same hours four weeks back (what threshold and
silence rules read), and, for projects with a regression rule, its two newest releases'
rollup (what the comparison reads). They go into a database of their own,
`vitals_alerts_bench`, rebuilt each run, so `bench-query`'s stays as it is.

Each project has one rule, the kinds shuffled: 60 % threshold rules (no filter, device,
route, country, browser, route and device), 25 % regression rules, 15 % silence rules.
The evaluator (services/workers/alerts/evaluate.py) runs CYCLES cycles one simulated minute
apart, just after the data ends. The first reads every rule; the others read regression rules each
once every ten minutes, as in production. Printed: each cycle's seconds, and the queries
per rule read (counted by a query logger on the connections); the last line is one JSON
object with `cycle_s` (median of the cycles after the first) and `queries_per_rule`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import msgspec

from bench.edition import database_edition
from bench.query.load import already_loaded, copy_table, database_url, load, recreate
from services.cli.migrations import migrate
from services.contracts.settings import Settings
from services.workers.alerts.evaluate import evaluate_all

SOURCE = "vitals_query_bench"
TARGET = "vitals_alerts_bench"
PROJECTS = 1_000
SOURCES = 11  # the benchmark data set's projects: the busy shop and ten background sites
HOURS = 3
DAYS = 30  # bench-query's data set: four earlier weeks for the silence rules, and more
WEEKS = 4
HOURLY = ("vitals_totals_hourly", "vitals_device_hourly", "vitals_route_hourly",
          "vitals_client_hourly")  # fmt: skip
CLONES = f"(SELECT k + 1 AS clone, 1 + k % {SOURCES} AS source FROM generate_series(0, $1 - 1) k)"
END_OF_DATA = "SELECT max(bucket) + interval '1 hour' FROM vitals_totals_hourly"
THRESHOLD_FILTERS: list[dict[str, Any]] = [
    {}, {"device": "mobile"}, {"route": None}, {"country": "US"}, {"browser": "Chrome"},
    {"route": None, "device": "desktop"},
]  # fmt: skip


# Each project's rule kind, shuffled: a rule's id says nothing of its kind in production,
# and regression rules are read at the minute their id gives (evaluate.due), so a pattern
# in ids would pile them into some minutes and leave others empty.
KINDS = ["threshold"] * (PROJECTS * 60 // 100) + ["regression"] * (PROJECTS * 25 // 100)
KINDS += ["silence"] * (PROJECTS - len(KINDS))
random.Random(14).shuffle(KINDS)  # noqa: S311 (a fixed mix, no secret)


def kind_of(project: int) -> str:
    return KINDS[project - 1]


async def columns(db: asyncpg.Connection, table: str) -> list[str]:
    rows = await db.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1"
        " ORDER BY ordinal_position",
        table,
    )
    return [r[0] for r in rows if r[0] != "url_origin"]


async def clone_table(
    source: asyncpg.Connection, target: asyncpg.Connection, table: str, where: str,
    *args: object,
) -> None:  # fmt: skip
    """The source's rows of `table` matching `where`, once per clone of their project."""
    names = await columns(target, table)
    picked = ", ".join("c.clone" if n == "project_id" else f"r.{n}" for n in names)
    query = (
        f"SELECT {picked} FROM {table} r JOIN {CLONES} c ON r.project_id = c.source WHERE {where}"
    )
    chunks: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=64)

    async def produce() -> None:
        try:
            await source.copy_from_query(query, PROJECTS, *args, output=chunks.put, format="binary")
        finally:
            await chunks.put(None)

    async def consume() -> AsyncIterator[bytes]:
        while (chunk := await chunks.get()) is not None:
            yield chunk

    await asyncio.gather(
        produce(), target.copy_to_table(table, source=consume(), columns=names, format="binary")
    )


async def build(base: Settings, source_url: str, target_url: str) -> datetime:
    """The clones and their rules; returns the end of the data (the cycles' start)."""
    await recreate(base.database_url, TARGET)
    source, target = await asyncpg.connect(source_url), await asyncpg.connect(target_url)
    try:
        await migrate(target)
        end: datetime = await source.fetchval(END_OF_DATA)
        hours = [end - timedelta(hours=h + 1) - timedelta(weeks=w)
                 for w in range(WEEKS + 1) for h in range(HOURS)]  # fmt: skip
        days = sorted({h.replace(hour=0) for h in hours})
        await target.execute(
            "INSERT INTO projects (slug, name) SELECT 'alerts-' || k, 'alerts-' || k"
            " FROM generate_series(1, $1) k",
            PROJECTS,
        )
        for table in HOURLY:
            await clone_table(source, target, table, "r.bucket = ANY($2::timestamptz[])", hours)
        await clone_table(source, target, "vitals_totals_daily",
                          "r.bucket = ANY($2::timestamptz[])", days)  # fmt: skip
        await clone_table(source, target, "releases", "true")
        regression_projects = [p for p in range(1, PROJECTS + 1) if kind_of(p) == "regression"]
        await clone_table(
            source, target, "vitals_release_routes",
            "c.clone = ANY($2::int[]) AND r.release IN (SELECT name FROM releases n"
            " WHERE n.project_id = r.project_id ORDER BY first_seen DESC LIMIT 2)",
            regression_projects,
        )  # fmt: skip
        await add_rules(source, target)
        await target.execute("VACUUM ANALYZE")
        return end
    finally:
        await source.close()
        await target.close()


async def copy_built(base: Settings, source_url: str, target_url: str) -> datetime:
    """The other edition's built clone, table by table: the cycles read only these, so the
    30-day data set (tens of gigabytes) need not be loaded on this edition too."""
    await recreate(base.database_url, TARGET)
    source, target = await asyncpg.connect(source_url), await asyncpg.connect(target_url)
    try:
        await migrate(target)
        for table in ("projects", *HOURLY, "vitals_totals_daily", "releases",
                      "vitals_release_routes", "alert_rules"):  # fmt: skip
            await copy_table(source, target, table)
        await target.execute("VACUUM ANALYZE")
    finally:
        await source.close()
        await target.close()
    return await data_end(target_url)


async def data_end(url: str) -> datetime:
    """Where a built database's data ends; refused if a cycle already ran on it (its
    first cycle would not read every rule as new)."""
    db = await asyncpg.connect(url)
    try:
        if await db.fetchval("SELECT count(*) FROM alert_states"):
            raise SystemExit(f"{TARGET} was evaluated already: build it again")
        end: datetime = await db.fetchval(END_OF_DATA)
        return end
    finally:
        await db.close()


async def add_rules(source: asyncpg.Connection, target: asyncpg.Connection) -> None:
    top_routes = {
        r["project_id"]: r["route"]
        for r in await source.fetch(
            "SELECT DISTINCT ON (project_id) project_id, route FROM vitals_route_daily"
            " GROUP BY project_id, route ORDER BY project_id, sum(samples) DESC"
        )
    }
    for project in range(1, PROJECTS + 1):
        kind = kind_of(project)
        if kind == "threshold":
            filters = dict(THRESHOLD_FILTERS[project % len(THRESHOLD_FILTERS)])
            if "route" in filters:
                filters["route"] = top_routes[1 + (project - 1) % SOURCES]
            fields: dict[str, Any] = {"metric": "LCP", "statistic": "p75", "comparison": "above",
                                      "threshold": 2500.0, "window_minutes": 60,
                                      "min_samples": 50, **filters}  # fmt: skip
        elif kind == "regression":
            fields = {}
        else:
            fields = {"silence_minutes": 30}
        names = ", ".join(["project_id", "name", "kind", *fields])
        marks = ", ".join(f"${i}" for i in range(1, len(fields) + 4))
        await target.execute(f"INSERT INTO alert_rules ({names}) VALUES ({marks})",
                             project, f"{kind} rule", kind, *fields.values())  # fmt: skip


class QueryCounter:
    """Statements the evaluator sends: reads of the data, and its own writes."""

    def __init__(self) -> None:
        self.reads = self.writes = 0

    def __call__(self, record: Any) -> None:
        text = record.query.lstrip().upper()
        if text.startswith(("INSERT", "UPDATE", "DELETE")):
            self.writes += 1
        elif "VITALS" in text or "RELEASES" in text:
            self.reads += 1


async def run_cycles(
    settings: Settings, url: str, start: datetime, cycles: int
) -> list[dict[str, Any]]:
    counter = QueryCounter()

    async def init(connection: asyncpg.Connection) -> None:
        connection.add_query_logger(counter)

    pool = await asyncpg.create_pool(url, min_size=1, max_size=2, init=init)
    results = []
    try:
        for minute in range(cycles):
            reads, writes = counter.reads, counter.writes
            started = time.perf_counter()
            report = await evaluate_all(pool, settings, now=start + timedelta(minutes=minute))
            seconds = time.perf_counter() - started
            result = {
                **msgspec.structs.asdict(report), "seconds": round(seconds, 3),
                "reads": counter.reads - reads, "writes": counter.writes - writes,
            }  # fmt: skip
            results.append(result)
            print(f"  cycle {minute + 1:2}: {seconds:6.2f} s, {report.read:4} rules read,"
                  f" {result['reads']:5} reads, {result['writes']:5} writes,"
                  f" {report.transitions} transitions", flush=True)  # fmt: skip
    finally:
        await pool.close()
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=11)
    parser.add_argument(
        "--page-views", type=int, default=200_000,
        help="a day, busy project; another size loads a data set of its own (a smoke test)",
    )  # fmt: skip
    parser.add_argument(
        "--build-only",
        action="store_true",
        help=f"build {TARGET} and stop (building takes tens of minutes)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help=f"run the cycles on {TARGET} as --build-only left it"
    )
    parser.add_argument(
        "--copy-from", metavar="URL",
        help=f"build {TARGET} by copying this built one (the other edition's), not from the"
        " 30-day data set",
    )  # fmt: skip
    args = parser.parse_args()
    base = Settings.from_env()
    source = SOURCE if args.page_views == 200_000 else f"{SOURCE}_{args.page_views}"
    source_url = database_url(base.database_url, source)
    if not (args.reuse or args.copy_from) and not await already_loaded(
        source_url, DAYS, args.page_views
    ):
        print(f"loading {source} (as make bench-query does) ...", flush=True)
        await recreate(base.database_url, source)
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        await load(source_url, end=now, days=DAYS, page_views=args.page_views)
    target_url = database_url(base.database_url, TARGET)
    if args.reuse:
        end = await data_end(target_url)
    elif args.copy_from:
        end = await copy_built(base, args.copy_from, target_url)
    else:
        started = time.perf_counter()
        end = await build(base, source_url, target_url)
        print(f"built {TARGET}: {PROJECTS} projects and rules in"
              f" {time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
        if args.build_only:
            return
    settings = msgspec.structs.replace(base, database_url=target_url)
    results = await run_cycles(settings, target_url, end, args.cycles)
    steady = results[1:]
    read = sum(r["read"] for r in steady)
    print(json.dumps({
        "cycle_s": round(statistics.median(r["seconds"] for r in steady), 3),
        "max_cycle_s": max(r["seconds"] for r in steady),
        "first_cycle_s": results[0]["seconds"],
        "queries_per_rule": round(sum(r["reads"] for r in steady) / read, 2),
        "writes_per_rule": round(sum(r["writes"] for r in steady) / read, 2),
        "rules": PROJECTS, "projects": PROJECTS, "busy_page_views_a_day": args.page_views,
        "edition": await database_edition(target_url),
    }))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
