"""Percentiles, counts and rating counts from summed histogram bins, computed in SQL.

Percentile definition (nearest rank, numpy's `method='inverted_cdf'`): for n samples
and quantile q the answer is the bin holding the sample of rank ceil(q·n), found by a
cumulative walk over the bins in order; the bin's representative value is within 1 % of
that sample's exact value. `q·n` is a float8 product, as in numpy, so ranks agree
exactly at integer boundaries. Rating is part of a bin's key (one bin may straddle a
threshold), so the walk orders by (bin, rating): rating counts are exact, and so is the
rating of the p75 sample.
"""

from __future__ import annotations

import asyncpg
import msgspec

from services.query.filters import Dimension, Filters
from services.query.instruments import STATEMENTS
from services.query.plan import Plan
from services.query.reads.sources import Params, samples_union

Db = asyncpg.Pool | asyncpg.Connection

QUANTILES = """
WITH counts AS (
    SELECT width_bucket(u.t, $3::timestamptz[]) AS slot, u.key, u.metric, u.rating, u.bin,
           sum(u.samples)::bigint AS n
    FROM ({union}
    ) AS u
    GROUP BY 1, 2, 3, 4, 5
), walk AS (
    SELECT slot, key, metric, rating, bin, n,
           sum(n) OVER (PARTITION BY slot, key, metric ORDER BY bin, rating
                        ROWS UNBOUNDED PRECEDING)::bigint AS cumulative,
           sum(n) OVER (PARTITION BY slot, key, metric)::bigint AS total
    FROM counts
)
SELECT slot, key, metric, sum(n)::bigint AS total,
       coalesce(sum(n) FILTER (WHERE rating = 0), 0)::bigint AS good,
       coalesce(sum(n) FILTER (WHERE rating = 1), 0)::bigint AS needs_improvement,
       coalesce(sum(n) FILTER (WHERE rating = 2), 0)::bigint AS poor,
       min(bin) FILTER (WHERE cumulative >= ceil(0.50::float8 * total)) AS p50,
       min(bin) FILTER (WHERE cumulative >= ceil(0.75::float8 * total)) AS p75,
       min(bin) FILTER (WHERE cumulative >= ceil(0.90::float8 * total)) AS p90,
       min(bin) FILTER (WHERE cumulative >= ceil(0.95::float8 * total)) AS p95,
       min(bin) FILTER (WHERE cumulative >= ceil(0.99::float8 * total)) AS p99,
       (array_agg(rating ORDER BY bin, rating)
            FILTER (WHERE cumulative >= ceil(0.75::float8 * total)))[1] AS p75_rating
FROM walk
GROUP BY slot, key, metric
"""

BIN_COUNTS = """
SELECT u.metric, u.rating, u.bin, sum(u.samples)::bigint AS n
FROM ({union}
) AS u
GROUP BY 1, 2, 3
ORDER BY 1, 3, 2
"""


class QuantileRow(msgspec.Struct, frozen=True):
    """One (slot, key, metric) group: its sample count, rating counts and percentile bins."""

    slot: int  # 1-based, in the order of the plan's boundaries
    key: str | None  # the group's dimension value as text; None without grouping
    metric: int
    total: int
    good: int
    needs_improvement: int
    poor: int
    p50: int
    p75: int
    p90: int
    p95: int
    p99: int
    p75_rating: int  # the rating of the p75 sample itself, exact even when its bin
    # straddles a threshold


class BinCount(msgspec.Struct, frozen=True):
    metric: int
    rating: int
    bin: int
    n: int


async def fetch_quantiles(
    db: Db,
    project_id: int,
    *,
    metrics: list[int],
    plan: Plan,
    filters: Filters,
    group: Dimension | None = None,
) -> list[QuantileRow]:
    params = Params(project_id, metrics, list(plan.boundaries))
    sql = QUANTILES.format(union=samples_union(plan, filters, group, params))
    STATEMENTS.labels("quantiles").inc()
    rows = await db.fetch(sql, *params.values)
    return [QuantileRow(**dict(row.items())) for row in rows]


async def fetch_bin_counts(
    db: Db, project_id: int, *, metrics: list[int], plan: Plan, filters: Filters
) -> list[BinCount]:
    params = Params(project_id, metrics)
    sql = BIN_COUNTS.format(union=samples_union(plan, filters, None, params))
    STATEMENTS.labels("bin_counts").inc()
    rows = await db.fetch(sql, *params.values)
    return [BinCount(**dict(row.items())) for row in rows]
