"""Load the benchmark database: 30 days of one busy project plus background projects.

Rows go in with COPY, a day at a time; the rollups are then recounted from raw rows into
exactly the rows the workers keep (on both editions since migration 0009). On the
Timescale edition raw chunks past the compression policy's age are then compressed, as
its policy would have done by the time 30 days had passed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import asyncpg

from bench.query.dataset import Site, pages
from services.cli.migrations import detect_edition, migrate
from tests.query.seeding import RECOUNT, ROLLUP_TABLES, VITALS_COLUMNS

BACKGROUND_PROJECTS = 10
BACKGROUND_PAGE_VIEWS = 2_000  # a day, each
# What the compression policy (migration 0005) does to chunks past its age.
COMPRESS_OLD_RAW_CHUNKS = """
SELECT count(compress_chunk(c, if_not_compressed => true))
FROM show_chunks('vitals', older_than => now() - INTERVAL '3 days') c
"""
MARKER = "CREATE TABLE IF NOT EXISTS bench_load (days int, page_views int, loaded_at timestamptz)"
# The releases list and comparison windows, as the workers would have kept them.
FILL_RELEASES = """
INSERT INTO releases (project_id, name, first_seen, last_seen)
SELECT project_id, release, min(time), max(time) FROM vitals
WHERE release IS NOT NULL GROUP BY 1, 2
"""


def database_url(base_url: str, name: str) -> str:
    base, _, query = base_url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + (("?" + query) if query else "")


async def recreate(base_url: str, name: str) -> None:
    admin = await asyncpg.connect(database_url(base_url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def already_loaded(url: str, days: int, page_views: int) -> bool:
    """Loaded with this shape. A migration added since is applied here rather than by
    reloading (40 minutes on 2 cores): it must work on a production database full of rows
    anyway, and its backfill brings the rows to what the code now reads."""
    try:
        connection = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        return False
    try:
        await connection.execute(MARKER)
        row = await connection.fetchrow("SELECT days, page_views FROM bench_load")
        if row is None or tuple(row) != (days, page_views):
            return False
        await migrate(connection)
        return True
    finally:
        await connection.close()


async def load(url: str, *, end: datetime, days: int, page_views: int) -> dict[str, float]:
    """Fill an empty, migrated database; returns seconds per phase."""
    timings: dict[str, float] = {}
    connection = await asyncpg.connect(url)
    try:
        await migrate(connection)
        started = time.perf_counter()
        sites = [await _site(connection, "shop", page_views, seed=1)]
        for index in range(BACKGROUND_PROJECTS):
            sites.append(
                await _site(
                    connection, f"background-{index}", BACKGROUND_PAGE_VIEWS, seed=100 + index
                )
            )
        for day in range(days):
            start = end - timedelta(days=days - day)
            for site, count in sites:
                await connection.copy_records_to_table(
                    "vitals", records=site.day(start, count), columns=VITALS_COLUMNS
                )
            print(f"  day {day + 1}/{days} copied", flush=True)
        timings["copy_s"] = time.perf_counter() - started
        started = time.perf_counter()
        await build_rollups(connection)
        await connection.execute(FILL_RELEASES)
        timings["rollups_s"] = time.perf_counter() - started
        await connection.execute(MARKER)
        await connection.execute("INSERT INTO bench_load VALUES ($1, $2, now())", days, page_views)
        await _finish(connection, timings)
    finally:
        await connection.close()
    return timings


async def copy_loaded(source_url: str, url: str) -> dict[str, float]:
    """Fill an empty database with another loaded benchmark database's rows (the other
    edition's, say: generating 33 M rows in Python takes far longer than copying them).
    Both must be migrated alike; binary COPY streams table by table."""
    timings: dict[str, float] = {}
    source, target = await asyncpg.connect(source_url), await asyncpg.connect(url)
    try:
        await migrate(target)
        started = time.perf_counter()
        for table in ("projects", "pages", "vitals", *ROLLUP_TABLES, "releases", "bench_load"):
            await copy_table(source, target, table)
            print(f"  {table} copied", flush=True)
        for table in ("projects", "pages"):  # COPY wrote the ids; new rows continue after them
            await target.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
        timings["copy_s"] = time.perf_counter() - started
        await _finish(target, timings)
    finally:
        await source.close()
        await target.close()
    return timings


async def copy_table(source: asyncpg.Connection, target: asyncpg.Connection, table: str) -> None:
    chunks: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=64)

    async def produce() -> None:
        try:
            # A query, not the table: COPY of a hypertable's own table reads no chunk.
            query = f"SELECT * FROM {table}"
            await source.copy_from_query(query, output=chunks.put, format="binary")
        finally:
            await chunks.put(None)

    async def consume() -> AsyncIterator[bytes]:
        while (chunk := await chunks.get()) is not None:
            yield chunk

    if table == "bench_load":
        await target.execute(MARKER)
    await asyncio.gather(produce(), target.copy_to_table(table, source=consume(), format="binary"))


async def _site(
    connection: asyncpg.Connection, slug: str, page_views: int, seed: int
) -> tuple[Site, int]:
    project_id: int = await connection.fetchval(
        "INSERT INTO projects (slug, name) VALUES ($1, $1) RETURNING id", slug
    )
    site_pages = pages()
    rows = await connection.fetch(
        """INSERT INTO pages (project_id, host, path, route)
           SELECT $1, h, p, r FROM unnest($2::text[], $3::text[], $4::text[]) AS t (h, p, r)
           RETURNING id, path""",
        project_id, *map(list, zip(*site_pages, strict=True)),
    )  # fmt: skip
    ids = {row["path"]: row["id"] for row in rows}
    return Site(project_id, [ids[path] for _, path, _ in site_pages], seed), page_views


async def _finish(connection: asyncpg.Connection, timings: dict[str, float]) -> None:
    if await detect_edition(connection) == "timescale":
        started = time.perf_counter()
        await connection.execute(COMPRESS_OLD_RAW_CHUNKS)
        timings["compress_s"] = time.perf_counter() - started
    await connection.execute("VACUUM ANALYZE")


async def build_rollups(connection: asyncpg.Connection) -> None:
    await connection.execute(f"TRUNCATE {', '.join(ROLLUP_TABLES)}")
    await connection.execute("SET work_mem = '512MB'")  # recounting 30 M rows sorts a lot
    for statement in RECOUNT:
        await connection.execute(statement)


async def rollup_sizes(url: str) -> dict[str, int]:
    connection = await asyncpg.connect(url)
    try:
        sizes = {"vitals": await connection.fetchval("SELECT count(*) FROM vitals")}
        for name in ROLLUP_TABLES:
            sizes[name] = await connection.fetchval(f"SELECT count(*) FROM {name}")
        return sizes
    finally:
        await connection.close()
