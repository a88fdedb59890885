"""A batch's reports → the `pages` dimension and the private staging table the raw upsert
(upsert.py) reads from, inside the batch's transaction.
"""

from __future__ import annotations

from services.contracts.database import Connection
from services.workers.normalize import Key, Report
from services.workers.upsert import VITALS_COLUMNS, Change

# A page is (host, path, route): a changed route is a new row and the rows already stored
# keep theirs (migration 0011). Only pages not stored yet reach the insert: an ON CONFLICT
# that hits an existing row still locks it until commit, and two workers writing the same
# pages would then run one after the other (measured: the commonest wait of the
# end-to-end benchmark).
INSERT_PAGES = """
INSERT INTO pages (project_id, host, path, route)
SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[])
     AS k(project_id, host, path, route)
WHERE NOT EXISTS (
    SELECT FROM pages p
    WHERE (p.project_id, p.host, p.path, p.route) = (k.project_id, k.host, k.path, k.route)
)
ON CONFLICT DO NOTHING
"""
# A second statement, not RETURNING: ON CONFLICT DO NOTHING returns nothing for rows that
# already existed, and this one's fresh snapshot also sees pages committed concurrently.
SELECT_PAGES = """
SELECT p.id, p.project_id, p.host, p.path, p.route
FROM unnest($1::int[], $2::text[], $3::text[], $4::text[]) AS k(project_id, host, path, route)
JOIN pages p USING (project_id, host, path, route)
"""
# A temporary table per connection, emptied at every commit: created once, then reused.
CREATE_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS vitals_staging (LIKE vitals INCLUDING DEFAULTS)
ON COMMIT DELETE ROWS
"""
STAGING_TABLE = "vitals_staging"

PageKey = tuple[int, str, str, str]  # project, host, path, route


async def upsert_pages(connection: Connection, pages: set[PageKey]) -> dict[PageKey, int]:
    keys = sorted(pages)  # one insertion order for every writer: no lock-order deadlocks
    columns = [list(column) for column in zip(*keys, strict=True)]
    await connection.execute(INSERT_PAGES, *columns)
    rows = await connection.fetch(SELECT_PAGES, *columns)
    return {(r["project_id"], r["host"], r["path"], r["route"]): r["id"] for r in rows}


async def stage(
    connection: Connection, reports: list[Report], page_ids: dict[PageKey, int]
) -> None:
    await connection.execute(CREATE_STAGING)
    await connection.copy_records_to_table(
        STAGING_TABLE,
        records=[_row(r, page_ids[page_key(r)]) for r in reports],
        columns=VITALS_COLUMNS,
    )


def page_key(report: Report) -> PageKey:
    return (report.project_id, report.page.host, report.page.path, report.page.route)


def key_of(change: Change) -> Key:
    return (change.new.project_id, change.new.time, change.metric_id)


def _row(r: Report, page_id: int) -> tuple[object, ...]:
    a = r.attribution
    return (
        r.project_id, r.time, r.metric_id, r.metric, r.value, r.rating, r.bin, page_id,
        r.device, r.browser, r.browser_major, r.os, r.country, r.connection, r.navigation_type,
        r.navigation_id, a.target, a.url, a.kind, *a.phases, r.received_at, r.seq, r.release,
    )  # fmt: skip
