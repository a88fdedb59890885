"""Percentiles, counts and rating counts from summed histogram bins, computed in SQL.

Percentile definition (nearest rank, numpy's `method='inverted_cdf'`): for n samples
and quantile q the answer is the bin holding the sample of rank ceil(q·n), found by a
cumulative walk over the bins in order; the bin's representative value is within 1 % of
that sample's exact value. `q·n` is a float8 product, as in numpy, so ranks agree
exactly at integer boundaries. Rating is part of a bin's key (one bin may straddle a
threshold), so the walk orders by (bin, rating): rating counts are exact, and so is the
rating of the p75 sample.

Two statements share the walk. QUANTILES sums the plan's sources per (slot, key, metric,
rating, bin) first, which folds many rollup and raw rows into few. ALIGNED serves a
series whose every slot is one bucket of one rollup: nothing folds there, and reading
the rollup's (metric, bucket, bin, rating) index in order lets the walk skip sorting.
"""

from __future__ import annotations

import asyncio
from itertools import pairwise

import asyncpg
import msgspec

from services.contracts.metrics import Metric
from services.query.filters import Dimension, Filters
from services.query.instruments import STATEMENTS
from services.query.plan import Plan, time_halves
from services.query.reads.sources import Params, add_filters, filter_clauses, samples_union

Db = asyncpg.Pool | asyncpg.Connection
# An aligned series this long is split in two statements run on two connections.
PARALLEL_FROM_SLOTS = 200
# A read of many metrics is split in two: these two, whose histograms spread over the most
# bins, and the rest. On the benchmark's month the halves read 47 % and 53 % of the rows
# (alternating metric ids would put CLS with two others: 62 % on one side).
SPREAD_WIDEST = frozenset({Metric.INP, Metric.CLS})
# A read of one metric over this many whole days or more is summed in two halves in time
# on two connections (a week of a busy site's route rows is ~80,000).
SPLIT_FROM_DAYS = 8

# The walk over `walk` rows (slot, key, metric, rating, bin, n, cumulative, total).
_PERCENTILES = """
SELECT slot, key, metric, sum(n)::bigint AS total,
       coalesce(sum(n) FILTER (WHERE rating = 0), 0)::bigint AS good,
       coalesce(sum(n) FILTER (WHERE rating = 1), 0)::bigint AS needs_improvement,
       coalesce(sum(n) FILTER (WHERE rating = 2), 0)::bigint AS poor,
       min(bin) FILTER (WHERE cumulative >= ceil(0.50::float8 * total)) AS p50,
       min(bin) FILTER (WHERE cumulative >= ceil(0.75::float8 * total)) AS p75,
       min(bin) FILTER (WHERE cumulative >= ceil(0.90::float8 * total)) AS p90,
       min(bin) FILTER (WHERE cumulative >= ceil(0.95::float8 * total)) AS p95,
       min(bin) FILTER (WHERE cumulative >= ceil(0.99::float8 * total)) AS p99,
       min(bin::int * 4 + rating) FILTER (WHERE cumulative >= ceil(0.75::float8 * total))
           AS p75_key
FROM walk
GROUP BY slot, key, metric
"""

# A plan's samples summed per (slot, key, metric, rating, bin): what the walk reads.
SUMS = """
SELECT u.slot, u.key, u.metric, u.rating, u.bin, sum(u.samples)::bigint AS n
FROM ({union}
) AS u
GROUP BY 1, 2, 3, 4, 5"""
# The walk over `counts` (slot, key, metric, rating, bin, n), each (rating, bin) once.
_WALK = """
), walk AS (
    SELECT slot, key, metric, rating, bin, n,
           sum(n) OVER (PARTITION BY slot, key, metric ORDER BY bin, rating
                        ROWS UNBOUNDED PRECEDING)::bigint AS cumulative,
           sum(n) OVER (PARTITION BY slot, key, metric)::bigint AS total
    FROM counts
)"""
QUANTILES = "WITH counts AS (" + SUMS + _WALK + _PERCENTILES
# The same walk over sums read apart (columns as arrays, $1 to $6), added up first.
MERGED_QUANTILES = (
    """
WITH counts AS (
    SELECT slot, key, metric, rating, bin, sum(n)::bigint AS n
    FROM unnest($1::int[], $2::text[], $3::smallint[], $4::smallint[], $5::smallint[],
                $6::bigint[]) AS c (slot, key, metric, rating, bin, n)
    GROUP BY 1, 2, 3, 4, 5"""
    + _WALK
    + _PERCENTILES
)

# $1 project, $2 the one metric, [$3, $4) the window; slot is the bucket's index in $5.
ALIGNED = (
    """
WITH walk AS (
    SELECT r.bucket AS slot, NULL::text AS key, r.metric, r.rating, r.bin, r.samples AS n,
           sum(r.samples) OVER (PARTITION BY r.bucket ORDER BY r.bin, r.rating
                                ROWS UNBOUNDED PRECEDING)::bigint AS cumulative,
           sum(r.samples) OVER (PARTITION BY r.bucket)::bigint AS total
    FROM {relation} AS r
    WHERE r.project_id = $1 AND r.metric = $2 AND r.bucket >= $3 AND r.bucket < $4{filters}
), per_bucket AS ("""
    + _PERCENTILES
    + """)
SELECT width_bucket(slot, $5::timestamptz[]) AS slot, key, metric, total, good,
       needs_improvement, poor, p50, p75, p90, p95, p99, p75_key
FROM per_bucket
"""
)

# A row's slot: its time's place among the plan's boundaries ($3), 1-based.
SLOT = "width_bucket({time}, $3::timestamptz[])"

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
    p75_key: int  # bin * 4 + rating of the p75 sample: its rating is exact even where the
    # bin straddles a threshold

    @property
    def p75_rating(self) -> int:
        return self.p75_key & 3


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
    aligned = plan.aligned_relation()
    if aligned is not None and group is None and len(metrics) == 1:
        return await _fetch_aligned(db, project_id, metrics[0], plan, filters)
    halves = (
        [m for m in metrics if m in SPREAD_WIDEST],
        [m for m in metrics if m not in SPREAD_WIDEST],
    )
    if isinstance(db, asyncpg.Pool) and all(halves):
        # Each metric's walk is its own, so the metrics split over two statements on two
        # connections: a cold summary is CPU-bound work that two backends halve.
        parts = await asyncio.gather(
            *(_fetch_metrics(db, project_id, half, plan, filters, group=group) for half in halves)
        )
        return [row for rows in parts for row in rows]
    in_time = time_halves(plan, SPLIT_FROM_DAYS) if isinstance(db, asyncpg.Pool) else None
    if in_time is not None:
        return await _fetch_in_halves(db, project_id, metrics, in_time, filters, group=group)
    return await _fetch_metrics(db, project_id, metrics, plan, filters, group=group)


async def _fetch_metrics(
    db: Db,
    project_id: int,
    metrics: list[int],
    plan: Plan,
    filters: Filters,
    *,
    group: Dimension | None,
) -> list[QuantileRow]:
    params = Params(project_id, metrics, list(plan.boundaries))
    sql = QUANTILES.format(union=samples_union(plan, filters, group, params, slot=SLOT))
    return await _fetch(db, sql, params)


async def _fetch_in_halves(
    db: Db,
    project_id: int,
    metrics: list[int],
    parts: tuple[Plan, Plan],
    filters: Filters,
    *,
    group: Dimension | None,
) -> list[QuantileRow]:
    """One metric's long window (a breakdown's month) as two halves in time summed side by
    side on two connections, then one walk over both: the scan and its sum are the cost
    (~0.3 µs a rollup row), the walk over the few thousand sums is not."""
    statements = []
    for part in parts:
        params = Params(project_id, metrics, list(part.boundaries))
        sql = SUMS.format(union=samples_union(part, filters, group, params, slot=SLOT))
        STATEMENTS.labels("sums").inc()
        statements.append(db.fetch(sql, *params.values))
    sums = [row for rows in await asyncio.gather(*statements) for row in rows]
    columns = [[row[i] for row in sums] for i in range(6)]  # slot, key, metric, rating, bin, n
    return await _fetch(db, MERGED_QUANTILES, Params(*columns))


async def _fetch_aligned(
    db: Db, project_id: int, metric: int, plan: Plan, filters: Filters
) -> list[QuantileRow]:
    """One statement per part of the window, run side by side when the pool allows: a
    month of hourly buckets is CPU-bound work that two backends halve."""
    relation = plan.aligned_relation()
    assert plan.family is not None and relation is not None
    (window,) = plan.hourly or plan.daily
    edges = [window.start, window.end]
    if isinstance(db, asyncpg.Pool) and len(plan.boundaries) >= PARALLEL_FROM_SLOTS:
        edges.insert(1, plan.boundaries[len(plan.boundaries) // 2])
    statements = []
    for start, end in pairwise(edges):
        params = Params(project_id, metric, start, end, list(plan.boundaries))
        clauses = filter_clauses(plan.family.columns, add_filters(filters, params))
        statements.append(_fetch(db, ALIGNED.format(relation=relation, filters=clauses), params))
    return [row for rows in await asyncio.gather(*statements) for row in rows]


async def _fetch(db: Db, sql: str, params: Params) -> list[QuantileRow]:
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
