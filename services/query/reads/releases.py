"""The SQL of the releases views: the `releases` table, and a side of a comparison as bin
counts per group of a time window, from the route rollups (a release's come from the
release rollup: contracts/release_comparison.py)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from services.contracts.release_comparison import GROUPED, GroupBins
from services.query.plan import DAY, HOUR, ROUTES, Interval, plan
from services.query.reads.histograms import Db
from services.query.timerange import ceil_to, floor_to

RELEASES = """
SELECT name, first_seen, last_seen FROM releases
WHERE project_id = $1
ORDER BY first_seen DESC, name
LIMIT $2
"""
RELEASE = "SELECT name, first_seen, last_seen FROM releases WHERE project_id = $1 AND name = $2"
# The release that first appeared last before the given one: a comparison's default baseline.
PREVIOUS = """
SELECT name, first_seen, last_seen FROM releases
WHERE project_id = $1 AND (first_seen, name) < ($2, $3)
ORDER BY first_seen DESC, name DESC
LIMIT 1
"""
# The latest deploy of each listed release.
DEPLOYED = """
SELECT DISTINCT ON (release) release, at FROM deploys
WHERE project_id = $1 AND release = ANY($2::text[])
ORDER BY release, at DESC
"""
DEPLOYS = """
SELECT release, at, url, description FROM deploys
WHERE project_id = $1 AND at >= $2 AND at < $3
ORDER BY at DESC, id DESC
LIMIT $4
"""
SAMPLES = """
SELECT release, metric, sum(samples)::bigint AS samples
FROM vitals_route_daily
WHERE project_id = $1 AND metric = ANY($2::smallint[]) AND release = ANY($3::text[])
  AND bucket >= $4 AND bucket < $5
GROUP BY release, metric
"""
# All page views in a window: each interval drives its own range scan of a route rollup's
# primary key, which leads with (project, metric, bucket).
_WINDOW_BRANCH = """
    SELECT r.metric, r.route, r.device, r.bin, r.rating, r.samples
    FROM unnest(${lo}::timestamptz[], ${hi}::timestamptz[]) AS w (lo, hi)
    CROSS JOIN LATERAL (
        SELECT * FROM {relation} AS r
        WHERE r.project_id = $1 AND r.metric = ANY($2::smallint[])
          AND r.bucket >= w.lo AND r.bucket < w.hi
        OFFSET 0
    ) AS r"""


class Release(msgspec.Struct, frozen=True):
    name: str
    first_seen: datetime
    last_seen: datetime


class Deploy(msgspec.Struct, frozen=True):
    release: str
    at: datetime
    url: str | None
    description: str | None


async def releases(db: Db, project_id: int, limit: int) -> list[Release]:
    return [Release(*row) for row in await db.fetch(RELEASES, project_id, limit)]


async def release(db: Db, project_id: int, name: str) -> Release | None:
    row = await db.fetchrow(RELEASE, project_id, name)
    return Release(*row) if row else None


async def previous_release(db: Db, project_id: int, of: Release) -> Release | None:
    row = await db.fetchrow(PREVIOUS, project_id, of.first_seen, of.name)
    return Release(*row) if row else None


async def deployed_at(db: Db, project_id: int, names: list[str]) -> dict[str, datetime]:
    return {row["release"]: row["at"] for row in await db.fetch(DEPLOYED, project_id, names)}


async def deploys(db: Db, project_id: int, window: Interval, limit: int) -> list[Deploy]:
    rows = await db.fetch(DEPLOYS, project_id, window.start, window.end, limit)
    return [Deploy(*row) for row in rows]


async def samples_per_metric(
    db: Db, project_id: int, metrics: list[int], listed: list[Release], until: datetime
) -> dict[tuple[str, int], int]:
    """(release, metric) → samples, over the days the listed releases were seen."""
    if not listed:
        return {}
    since = floor_to(min(r.first_seen for r in listed), DAY)
    rows = await db.fetch(SAMPLES, project_id, metrics, [r.name for r in listed], since, until)
    return {(row["release"], row["metric"]): row["samples"] for row in rows}


async def window_groups(
    db: Db, project_id: int, metrics: list[int], window: Interval
) -> list[GroupBins]:
    """Every page view in `window` (whole hours of it: daily rows for the whole days,
    hourly rows for the hours at its edges), grouped as a release's are (GROUPED)."""
    hours = Interval(floor_to(window.start, HOUR), ceil_to(window.end, HOUR))
    query_plan = plan([hours], frozenset({"route", "device"}))
    params: list[object] = [project_id, metrics]
    branches = []
    for relation, intervals in (
        (ROUTES.daily, query_plan.daily),
        (ROUTES.hourly, query_plan.hourly),
    ):
        if not intervals:
            continue
        params += [[i.start for i in intervals], [i.end for i in intervals]]
        branches.append(
            _WINDOW_BRANCH.format(lo=len(params) - 1, hi=len(params), relation=relation)
        )
    if not branches:
        return []
    statement = GROUPED.format(source="\n    UNION ALL".join(branches))
    return [GroupBins(*row) for row in await db.fetch(statement, *params)]
