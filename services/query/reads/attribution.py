"""Attribution from raw rows: the top values of one attr_* column with counts, the metric's
p75 and each phase's mean and p75 (services/workers/attribution.py maps the columns).

Percentiles here are exact nearest-rank values of the raw rows (`percentile_disc`, the
same definition as numpy's inverted_cdf), since attribution is not kept in rollups.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from services.query.filters import Filters
from services.query.instruments import STATEMENTS
from services.query.plan import RAW_COLUMNS, Interval
from services.query.reads.histograms import Db
from services.query.reads.sources import Params, add_filters, filter_clauses

Column = Literal["attr_target", "attr_url", "attr_kind"]
_GROUP_KEYS: dict[Column, str] = {
    "attr_target": "r.attr_target",
    "attr_url": "r.attr_url",
    "attr_kind": "r.attr_kind",
}
_STATS = """count(*) AS count,
       percentile_disc(0.75) WITHIN GROUP (ORDER BY r.value) AS p75,
       avg(r.attr_phase1) AS phase1_mean,
       percentile_disc(0.75) WITHIN GROUP (ORDER BY r.attr_phase1) AS phase1_p75,
       avg(r.attr_phase2) AS phase2_mean,
       percentile_disc(0.75) WITHIN GROUP (ORDER BY r.attr_phase2) AS phase2_p75,
       avg(r.attr_phase3) AS phase3_mean,
       percentile_disc(0.75) WITHIN GROUP (ORDER BY r.attr_phase3) AS phase3_p75,
       avg(r.attr_phase4) AS phase4_mean,
       percentile_disc(0.75) WITHIN GROUP (ORDER BY r.attr_phase4) AS phase4_p75"""
_WHERE = """r.project_id = $1 AND r.metric = $2 AND r.time >= $3 AND r.time < $4"""

OVERALL = f"""
SELECT '' AS value, {_STATS}
FROM vitals AS r
WHERE {_WHERE}{{filters}}
"""
TOP_VALUES = f"""
SELECT {{key}} AS value, {_STATS}
FROM vitals AS r
WHERE {_WHERE} AND {{key}} <> ''{{filters}}
GROUP BY 1
ORDER BY count DESC, value
LIMIT $5
"""


class AttributionRow(msgspec.Struct, frozen=True):
    value: str
    count: int
    p75: float | None
    phase1_mean: float | None
    phase1_p75: float | None
    phase2_mean: float | None
    phase2_p75: float | None
    phase3_mean: float | None
    phase3_p75: float | None
    phase4_mean: float | None
    phase4_p75: float | None


async def fetch_overall(
    db: Db, project_id: int, *, metric: int, window: Interval, filters: Filters
) -> AttributionRow:
    params = Params(project_id, metric, window.start, window.end)
    sql = OVERALL.format(filters=filter_clauses(RAW_COLUMNS, add_filters(filters, params)))
    STATEMENTS.labels("attribution_overall").inc()
    row = await db.fetchrow(sql, *params.values)
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return AttributionRow(**dict(row.items()))


async def fetch_top_values(
    db: Db,
    project_id: int,
    *,
    metric: int,
    window: Interval,
    filters: Filters,
    column: Column,
    limit: int,
) -> list[AttributionRow]:
    params = Params(project_id, metric, window.start, window.end, limit)
    clauses = filter_clauses(RAW_COLUMNS, add_filters(filters, params))
    sql = TOP_VALUES.format(key=_GROUP_KEYS[column], filters=clauses)
    STATEMENTS.labels("attribution_top").inc()
    rows = await db.fetch(sql, *params.values)
    return [AttributionRow(**dict(row.items())) for row in rows]
