"""Exact rollup maintenance, on both editions: the rollups (0003 and 0006; on the Timescale
edition since 0009) are plain hypertables the workers write in the raw upsert's transaction.

Each row the raw upsert wrote adds one sample to every rollup, at its coordinates there;
a row it replaced takes one away at the old row's. A rollup family is a projection of
the same delta rows: `vitals_*` keeps the page, `vitals_totals_*` nothing, `vitals_device_*`
the device, `vitals_route_*` the page's route (as `pages` says now, like the continuous
aggregate's join), device and release (migration 0013), `vitals_client_*` device, browser
and country. `vitals_release_routes` (migration 0016) keeps release, route and device with
no time, for the release comparison. Buckets are computed by SQL's `time_bucket`. Rows
that reach zero are deleted: a group with no samples is no row, so a recount of the raw
rows gives exactly the same table.

Exactness needs the replaced row's values as they were when the upsert replaced it;
upsert.py reads them under row locks held until commit.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from services.contracts.database import Connection

# The delta rows, one per sample added (+1) or removed (-1). The raw upsert writes them
# (upsert.upsert_vitals) into this per-connection temporary table, emptied at every commit,
# so they never travel through Python: sending them as parameters cost the worker more CPU
# encoding arrays, ten statements over, than everything else it does per report.
CREATE_DELTAS = """
CREATE TEMP TABLE IF NOT EXISTS rollup_deltas (
    time timestamptz, project_id int, metric int2, page_id int8, device int2, rating int2,
    bin int2, browser text, country text, release text, delta int
) ON COMMIT DELETE ROWS
"""
# Every rollup statement starts from the deltas with their page's route, read once.
_DELTAS = """
WITH d AS MATERIALIZED (
    SELECT rd.*, pg.route FROM rollup_deltas rd JOIN pages pg ON pg.id = rd.page_id
)"""


class Family(msgspec.Struct, frozen=True):
    """A rollup family: its tables' stem and the dimensions it keeps beside the basics."""

    stem: str
    dimensions: tuple[str, ...]


FAMILIES = (
    Family("vitals", ("page_id", "device")),
    Family("vitals_totals", ()),
    Family("vitals_device", ("device",)),
    Family("vitals_route", ("route", "device", "release")),
    Family("vitals_client", ("device", "browser", "country")),
)
WIDTHS = (("hourly", "1 hour"), ("daily", "1 day"))


def _apply(family: Family, suffix: str, width: str) -> str:
    keys = ["project_id", "metric", *family.dimensions, "rating", "bin"]
    key_list = ", ".join(keys)
    picked = ", ".join(f"d.{k}" for k in keys)
    return f"""
INSERT INTO {family.stem}_{suffix} AS r (bucket, {key_list}, samples)
SELECT time_bucket(INTERVAL '{width}', d.time) AS bucket, {picked}, sum(d.delta)
FROM d
GROUP BY bucket, {picked}
HAVING sum(d.delta) <> 0
ORDER BY {picked}, bucket  -- one row-lock order for all writers
ON CONFLICT (bucket, {key_list}) DO UPDATE SET samples = r.samples + excluded.samples
"""


def _delete_empty(family: Family, suffix: str, width: str) -> str:
    keys = ["project_id", "metric", *family.dimensions, "rating", "bin"]
    picked = ", ".join(f"d.{k}" for k in keys)
    matches = " AND ".join(f"r.{k} = k.{k}" for k in ["bucket", *keys])
    return f"""
DELETE FROM {family.stem}_{suffix} AS r
USING (SELECT DISTINCT time_bucket(INTERVAL '{width}', d.time) AS bucket, {picked}
       FROM d WHERE d.delta < 0) AS k
WHERE {matches} AND r.samples = 0
"""


def _together(statements: list[str]) -> str:
    """Data-modifying CTEs: one round trip and one plan for all ten rollups (ten separate
    statements cost ~0.6 ms each even for a 40-report batch). All share one snapshot, so
    the deletes of groups brought to zero must be a second statement, after the inserts."""
    steps = ",\n".join(f"rollup_{i} AS ({s})" for i, s in enumerate(statements))
    return f"{_DELTAS},\n{steps}\nSELECT 1"


# The release comparison's rollup (migration 0016): a release's samples per route and
# device with no time, so one side of a comparison is one range of its key. Page views
# without a release have no row there.
RELEASE_KEYS = ("project_id", "release", "metric", "route", "device", "bin", "rating")
_release_picked = ", ".join(f"d.{k}" for k in RELEASE_KEYS)
RELEASE_APPLY = f"""
INSERT INTO vitals_release_routes AS r ({", ".join(RELEASE_KEYS)}, samples)
SELECT {_release_picked}, sum(d.delta)
FROM d WHERE d.release <> ''
GROUP BY {_release_picked}
HAVING sum(d.delta) <> 0
ORDER BY {_release_picked}
ON CONFLICT ({", ".join(RELEASE_KEYS)}) DO UPDATE SET samples = r.samples + excluded.samples
"""
RELEASE_DELETE_EMPTY = f"""
DELETE FROM vitals_release_routes AS r
USING (SELECT DISTINCT {_release_picked} FROM d WHERE d.delta < 0 AND d.release <> '') AS k
WHERE {" AND ".join(f"r.{k} = k.{k}" for k in RELEASE_KEYS)} AND r.samples = 0
"""

APPLY = _together(
    [_apply(f, suffix, width) for f in FAMILIES for suffix, width in WIDTHS] + [RELEASE_APPLY]
)
DELETE_EMPTY = _together(
    [_delete_empty(f, suffix, width) for f in FAMILIES for suffix, width in WIDTHS]
    + [RELEASE_DELETE_EMPTY]
)


class Sample(msgspec.Struct, frozen=True, gc=False):
    """The rollup coordinates of one raw row."""

    time: datetime
    project_id: int
    metric: int
    page_id: int
    device: int
    rating: int
    bin: int
    browser: str
    country: str
    release: str  # '' for none


async def apply_deltas(connection: Connection, *, removes_any: bool) -> None:
    """Add the recorded deltas to every rollup; drop groups a removal brought to zero.

    `fetch`, not `execute`: without arguments asyncpg's `execute` sends a simple query,
    planned anew each time (milliseconds for these statements); `fetch` prepares it once
    per connection and reuses the plan.
    """
    await connection.fetch(APPLY)
    if removes_any:
        await connection.fetch(DELETE_EMPTY)
