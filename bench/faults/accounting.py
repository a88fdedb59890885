"""The database checked against what ingest acknowledged: lost, duplicated, miscounted.

Every beacon is a page view of its own, so each acknowledged report has exactly one
place to be: a raw row under its (project, metric id). Lost: acknowledged, not stored.
Duplicated: a raw key held more than once, or a rollup counting more samples than a
recount of the raw rows gives (a batch's rollup delta applied twice). Rollups short of
the recount are counted too (`rollup_missing`): a batch whose raw rows were written but
whose rollup delta was not.
"""

from __future__ import annotations

from collections import Counter

import asyncpg
import msgspec

from bench.ingest.beacons import metric_id
from services.workers.rollups import FAMILIES, WIDTHS

STORED = """
SELECT metric_id, count(*) FROM vitals WHERE metric_id LIKE $1 GROUP BY project_id, metric_id
"""
# The raw rows' own columns, and the page's route (rollups keep the route as `pages`
# says it, as the Timescale edition's continuous aggregate joins it).
RAW_COLUMN = {"page_id": "v.page_id", "device": "v.device", "route": "p.route",
              "release": "coalesce(v.release, '')",
              "browser": "v.browser", "country": "v.country"}  # fmt: skip
# Per key, held minus recounted samples; GROUP BY treats NULL keys (no country) as equal.
MISMATCH = """
SELECT coalesce(sum(greatest(d, 0)), 0), coalesce(sum(greatest(-d, 0)), 0) FROM (
    SELECT sum(n) AS d FROM (
        SELECT bucket, project_id, metric, {held} rating, bin, samples AS n FROM {table}
        UNION ALL
        SELECT time_bucket(INTERVAL '{width}', v.time), v.project_id, v.metric, {raw}
               v.rating, v.bin, -count(*)
        FROM vitals v JOIN pages p ON p.id = v.page_id
        GROUP BY 1, 2, 3, {raw} v.rating, v.bin
    ) AS both_sides
    GROUP BY bucket, project_id, metric, {held} rating, bin
) AS per_key
"""

# The same for the release rollup (migration 0016), which has no time.
RELEASE_MISMATCH = """
SELECT coalesce(sum(greatest(d, 0)), 0), coalesce(sum(greatest(-d, 0)), 0) FROM (
    SELECT sum(n) AS d FROM (
        SELECT project_id, release, metric, route, device, rating, bin, samples AS n
        FROM vitals_release_routes
        UNION ALL
        SELECT v.project_id, v.release, v.metric, p.route, v.device, v.rating, v.bin, -count(*)
        FROM vitals v JOIN pages p ON p.id = v.page_id
        WHERE v.release IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6, 7
    ) AS both_sides
    GROUP BY project_id, release, metric, route, device, rating, bin
) AS per_key
"""


class Accounts(msgspec.Struct, frozen=True):
    acknowledged: int  # reports answered 202
    stored: int  # of those, stored
    lost: int
    stored_not_acknowledged: int  # answered 503 or not at all, yet written (allowed)
    raw_duplicates: int
    rollup_surplus: int  # the largest over rollup tables: samples counted twice
    rollup_missing: int  # the largest over rollup tables: samples not counted

    @property
    def duplicates(self) -> int:
        return self.raw_duplicates + self.rollup_surplus


async def settle(
    db: asyncpg.Connection, run: str, acknowledged: set[int], reports: int
) -> Accounts:
    """`acknowledged`: the sequence numbers of the beacons answered 202."""
    held = Counter({r[0]: r[1] for r in await db.fetch(STORED, f"v6-{run}-%")})
    stored = set(held)
    expected = {metric_id(run, seq, i) for seq in acknowledged for i in range(reports)}
    surplus, missing = await rollups_against_raw(db)
    return Accounts(
        acknowledged=len(expected),
        stored=len(expected & stored),
        lost=len(expected - stored),
        stored_not_acknowledged=len(stored - expected),
        raw_duplicates=sum(n - 1 for n in held.values()),
        rollup_surplus=surplus,
        rollup_missing=missing,
    )


async def rollups_against_raw(db: asyncpg.Connection) -> tuple[int, int]:
    """Samples every rollup table holds beyond, and short of, a recount of the raw rows;
    the largest of each over tables (one report counted twice shows in every table)."""
    surplus = missing = 0
    for family in FAMILIES:
        held = "".join(f"{d}, " for d in family.dimensions)
        raw = "".join(f"{RAW_COLUMN[d]}, " for d in family.dimensions)
        for suffix, width in WIDTHS:
            table = f"{family.stem}_{suffix}"
            query = MISMATCH.format(held=held, raw=raw, table=table, width=width)
            row = await db.fetchrow(query)
            assert row is not None  # an aggregate without GROUP BY: always one row
            over, under = row
            surplus, missing = max(surplus, int(over)), max(missing, int(under))
    row = await db.fetchrow(RELEASE_MISMATCH)
    assert row is not None
    over, under = row
    return max(surplus, int(over)), max(missing, int(under))


async def stored_before(db: asyncpg.Connection, run: str, end_seq: int) -> int:
    """Reports stored of beacons `0 .. end_seq - 1`: their ids sort below end_seq's."""
    count: int = await db.fetchval(
        "SELECT count(*) FROM vitals WHERE metric_id >= $1 AND metric_id < $2",
        metric_id(run, 0, 0), metric_id(run, end_seq, 0),
    )  # fmt: skip
    return count
