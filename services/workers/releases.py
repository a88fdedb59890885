"""The `releases` table (migration 0013): each release a project's page views named, with
the time of the first and the last, kept in the batch's transaction.

Every transaction of a live release would otherwise update its one row, and an
ON CONFLICT that updates holds the row lock until commit: concurrent workers would write
one after the other. So a release's row is written only when the batch moves it: a
release not seen before, a page view before its first, or one more than SLACK after its
last. `last_seen` therefore trails by up to an hour; the comparison's window reads up to
the next hour anyway.
"""

from __future__ import annotations

from datetime import datetime

from services.contracts.database import Connection
from services.contracts.releases import LAST_SEEN_SLACK as SLACK
from services.workers.normalize import Report

RECORD = """
INSERT INTO releases AS r (project_id, name, first_seen, last_seen)
SELECT * FROM unnest($1::int[], $2::text[], $3::timestamptz[], $4::timestamptz[])
     AS k(project_id, name, first_seen, last_seen)
WHERE NOT EXISTS (
    SELECT FROM releases e
    WHERE (e.project_id, e.name) = (k.project_id, k.name)
      AND e.first_seen <= k.first_seen AND e.last_seen >= k.last_seen - $5::interval
)
ORDER BY project_id, name  -- one row-lock order for all writers
ON CONFLICT (project_id, name) DO UPDATE
SET first_seen = least(r.first_seen, excluded.first_seen),
    last_seen = greatest(r.last_seen, excluded.last_seen)
"""


async def record_releases(connection: Connection, reports: list[Report]) -> None:
    seen: dict[tuple[int, str], tuple[datetime, datetime]] = {}
    for report in reports:
        if report.release is None:
            continue
        key = (report.project_id, report.release)
        first, last = seen.get(key, (report.time, report.time))
        seen[key] = (min(first, report.time), max(last, report.time))
    if not seen:
        return
    keys = sorted(seen)
    await connection.execute(
        RECORD,
        [project for project, _ in keys],
        [name for _, name in keys],
        [seen[k][0] for k in keys],
        [seen[k][1] for k in keys],
        SLACK,
    )
