"""The staged reports → the `vitals` hypertable: new keys inserted, newer reports replacing
older ones, and what each write replaced, without serialising writers.

Exact rollups (rollups.py, both editions) need, for every replaced row, the values it had
when it was replaced. Three statements in the caller's transaction get them with row locks
only, so workers writing the same project run side by side:

1. INSERT ... ON CONFLICT DO NOTHING: the keys nobody stored yet. A key another
   transaction is inserting at the same moment makes this wait for it, then skip it.
2. Only if some staged keys already existed: SELECT ... FOR UPDATE on them, in key order,
   which waits for any writer still holding one and leaves them all locked by us.
3. UPDATE where the staged report is the later measurement (recency.py). Its snapshot
   starts after step 2, so the `previous` values it reads are the latest committed ones,
   and nobody can change them before we commit.

Every statement takes rows in (project, time, metric id) order, the one order all writers
share, so two batches cannot deadlock on raw rows; a retried job finds its rows stored
and changes nothing. Each change also lands in rollups' temporary delta table: +1 at the
new row's coordinates, -1 at the replaced row's.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from services.contracts.database import Connection
from services.workers import recency, rollups
from services.workers.rollups import Sample

VITALS_COLUMNS = (
    "project_id", "time", "metric_id", "metric", "value", "rating", "bin", "page_id", "device",
    "browser", "browser_major", "os", "country", "connection", "navigation_type",
    "navigation_id", "attr_target", "attr_url", "attr_kind", "attr_phase1", "attr_phase2",
    "attr_phase3", "attr_phase4", "received_at", "seq", "release",
)  # fmt: skip
_KEY = ("project_id", "time", "metric_id")
_columns = ", ".join(VITALS_COLUMNS)
_sample = (
    "project_id, time, metric_id, metric, page_id, device, rating, bin, browser, country, release"
)
_returned = ", ".join(f"v.{c}" for c in _sample.split(", "))

_INSERT_NEW = f"""
WITH changes AS (
    INSERT INTO vitals AS v ({_columns})
    SELECT {_columns} FROM vitals_staging
    ORDER BY project_id, time, metric_id
    ON CONFLICT (project_id, time, metric_id) DO NOTHING
    RETURNING {_returned}
)"""
# $1/$2 bound the time range, so only the batch's chunks are searched.
LOCK_EXISTING = """
SELECT FROM vitals v JOIN vitals_staging s USING (project_id, time, metric_id)
WHERE v.time BETWEEN $1 AND $2
ORDER BY v.project_id, v.time, v.metric_id
FOR UPDATE OF v
"""
_updates = ", ".join(f"{c} = s.{c}" for c in VITALS_COLUMNS if c not in _KEY)
# `previous` and `written` share one snapshot: `previous` is what each row was before this
# statement replaced it. It probes the primary key once per staged row (a join over the
# time range would sort every stored row in it).
_REPLACE_NEWER = f"""
WITH previous AS (
    SELECT {_returned}
    FROM vitals_staging s
    CROSS JOIN LATERAL (
        SELECT * FROM vitals v
        WHERE v.project_id = s.project_id AND v.time = s.time AND v.metric_id = s.metric_id
          AND v.time BETWEEN $1 AND $2
    ) v
),
written AS (
    UPDATE vitals AS v SET {_updates}
    FROM vitals_staging s
    WHERE v.project_id = s.project_id AND v.time = s.time AND v.metric_id = s.metric_id
      AND v.time BETWEEN $1 AND $2
      AND {recency.STAGED_IS_NEWER}
    RETURNING {_returned}
),
changes AS (
    SELECT w.*, p.metric AS old_metric, p.page_id AS old_page_id, p.device AS old_device,
           p.rating AS old_rating, p.bin AS old_bin, p.browser AS old_browser,
           p.country AS old_country, p.release AS old_release
    FROM written w JOIN previous p USING (project_id, time, metric_id)
)"""
# A page view without a release is '' in the rollups, whose keys cannot hold NULL.
_DELTA = (
    "time, project_id, metric, page_id, device, rating, bin, browser, country,"
    " coalesce(release, '')"
)
_RECORD_ADDED = f"""
recorded AS (
    INSERT INTO rollup_deltas SELECT {_DELTA}, 1 FROM changes
)"""
_RECORD_REPLACED = f"""
recorded AS (
    INSERT INTO rollup_deltas
    SELECT {_DELTA}, 1 FROM changes
    UNION ALL
    SELECT time, project_id, old_metric, old_page_id, old_device, old_rating, old_bin,
           old_browser, old_country, coalesce(old_release, ''), -1
    FROM changes
)"""
_SELECT = "\nSELECT * FROM changes"
INSERT_NEW = _INSERT_NEW + "," + _RECORD_ADDED + _SELECT
REPLACE_NEWER = _REPLACE_NEWER + "," + _RECORD_REPLACED + _SELECT


class Change(msgspec.Struct, frozen=True, gc=False):
    """A row the upsert wrote, and what it replaced (None: the key was new)."""

    metric_id: str
    new: Sample
    old: Sample | None


async def upsert_vitals(
    connection: Connection,
    staged: int,
    earliest: datetime,
    latest: datetime,
) -> list[Change]:
    """Write the `staged` rows of vitals_staging, whose times lie in [earliest, latest]."""
    await connection.execute(rollups.CREATE_DELTAS)
    inserted = await connection.fetch(INSERT_NEW)
    changes = [_change(row, replaced=False) for row in inserted]
    if len(inserted) < staged:  # some keys were stored already: replace the older ones
        await connection.fetch(LOCK_EXISTING, earliest, latest)
        replaced = await connection.fetch(REPLACE_NEWER, earliest, latest)
        changes += [_change(row, replaced=True) for row in replaced]
    return changes


def _change(row: asyncpg.Record, *, replaced: bool) -> Change:
    new = Sample(
        row["time"], row["project_id"], row["metric"], row["page_id"], row["device"],
        row["rating"], row["bin"], row["browser"], row["country"], row["release"] or "",
    )  # fmt: skip
    old = None
    if replaced:
        old = Sample(
            row["time"], row["project_id"], row["old_metric"], row["old_page_id"],
            row["old_device"], row["old_rating"], row["old_bin"], row["old_browser"],
            row["old_country"], row["old_release"] or "",
        )  # fmt: skip
    return Change(row["metric_id"], new, old)
