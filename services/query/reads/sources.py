"""The SQL that reads histogram samples from a plan's sources, filtered and keyed.

One branch per source (daily rollup, hourly rollup, raw rows), joined by UNION ALL;
each yields (t, metric, rating, bin, samples, key) for the project's rows inside its
intervals. The text is assembled only from the constant fragments below, so the
statement's shape depends on which filters are active, never on their values: values
are always $n parameters, numbered by `Params` in the order they are added.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from services.query.filters import Dimension, Filters
from services.query.plan import RAW_COLUMNS, RAW_TABLE, Interval, Plan

# $1 is always the project, $2 the metrics: every branch is filtered by both. Each interval
# drives its own index range scan, summed there per (slot, metric, rating, bin, key): the
# rows leave the scan already folded (a month of route rows, 400,000, becomes 5,000), and
# the aggregate keeps the planner from flattening the lateral subquery into a join that
# scans every chunk and filters afterwards.
_BRANCH = """
    SELECT s.slot, s.metric, s.rating, s.bin, s.samples, s.key
    FROM unnest(${lo}::timestamptz[], ${hi}::timestamptz[]) AS w (lo, hi)
    CROSS JOIN LATERAL (
        SELECT {slot} AS slot, r.metric, r.rating, r.bin, sum({samples})::bigint AS samples,
               {key} AS key
        FROM {relation} AS r{join}
        WHERE r.project_id = $1 AND r.metric = ANY($2::smallint[])
          AND r.{time} >= w.lo AND r.{time} < w.hi{filters}
        GROUP BY 1, 2, 3, 4, 6
    ) AS s"""
_PAGE_JOIN = "\n        JOIN pages AS p ON p.id = r.page_id AND p.project_id = $1"
_NO_KEY = "NULL::text"

# Filters on a column the relation's rows carry.
_COLUMN_FILTERS: dict[Dimension, str] = {
    "route": "r.route = ANY(${n}::text[])",
    "device": "r.device = ANY(${n}::smallint[])",
    "browser": "r.browser = ANY(${n}::text[])",
    "os": "r.os = ANY(${n}::text[])",
    "country": "r.country = ANY(${n}::text[])",
    "connection": "r.connection = ANY(${n}::text[])",
    "navigation_type": "r.navigation_type = ANY(${n}::smallint[])",
    "release": "r.release = ANY(${n}::text[])",
}
# Filters on the page dimension, for relations keyed by page_id.
_IN_PAGES = (
    "r.page_id IN (SELECT id FROM pages WHERE project_id = $1 AND {column} = ANY(${{n}}::text[]))"
)
_PAGE_FILTERS: dict[Dimension, str] = {
    "route": _IN_PAGES.format(column="route"),
    "host": _IN_PAGES.format(column="host"),
    "path": _IN_PAGES.format(column="path"),
}
_COLUMN_KEYS: dict[Dimension, str] = {
    "route": "r.route",
    "device": "r.device::text",
    "browser": "r.browser",
    "os": "r.os",
    "country": "r.country",
    "connection": "r.connection",
    "navigation_type": "r.navigation_type::text",
    # No release is NULL in raw rows and '' in the rollups (a key cannot be NULL): one key.
    "release": "nullif(r.release, '')",
}
_PAGE_KEYS: dict[Dimension, str] = {"route": "p.route", "host": "p.host", "path": "p.path"}


class Params:
    """Statement parameters; `add` returns the $n of the value it appends."""

    def __init__(self, *values: object) -> None:
        self.values: list[object] = list(values)

    def add(self, value: object) -> int:
        self.values.append(value)
        return len(self.values)


class _Source(NamedTuple):
    relation: str
    time: str  # the column a row's instant is in
    samples: str  # how many samples a row stands for
    columns: frozenset[str]


def samples_union(
    plan: Plan, filters: Filters, group: Dimension | None, params: Params, *, slot: str = "0"
) -> str:
    """The UNION ALL of the plan's branches; `params` must already hold $1 and $2. `slot`
    is the SQL of a row's slot, `{time}` standing for its time column (by default every
    row is in slot 0)."""
    filter_params = add_filters(filters, params)
    branches = []
    if plan.family is not None:
        family = plan.family
        for relation, intervals in ((family.daily, plan.daily), (family.hourly, plan.hourly)):
            if intervals:
                source = _Source(relation, "bucket", "r.samples", family.columns)
                branches.append(_branch(source, intervals, filter_params, group, params, slot=slot))
    if plan.raw or not branches:
        source = _Source(RAW_TABLE, "time", "1", RAW_COLUMNS)
        branches.append(_branch(source, plan.raw, filter_params, group, params, slot=slot))
    return "\n    UNION ALL".join(branches)


def filter_clauses(columns: frozenset[str], filter_params: dict[Dimension, int]) -> str:
    """`AND ...` for each active filter, on the relation aliased `r`."""
    clauses = []
    for dimension, n in filter_params.items():
        fragment = _COLUMN_FILTERS if dimension in columns else _PAGE_FILTERS
        clauses.append("\n          AND " + fragment[dimension].format(n=n))
    return "".join(clauses)


def add_filters(filters: Filters, params: Params) -> dict[Dimension, int]:
    """Appends each active filter's values; returns their parameter numbers."""
    return {d: params.add(list(filters.values(d))) for d in sorted(filters.active())}


def _branch(
    source: _Source,
    intervals: Sequence[Interval],
    filter_params: dict[Dimension, int],
    group: Dimension | None,
    params: Params,
    *,
    slot: str,
) -> str:
    lo = params.add([i.start for i in intervals])
    hi = params.add([i.end for i in intervals])
    key, join = _NO_KEY, ""
    if group is not None:
        if group in source.columns:
            key = _COLUMN_KEYS[group]
        else:
            key, join = _PAGE_KEYS[group], _PAGE_JOIN
    return _BRANCH.format(
        slot=slot.format(time="r." + source.time),
        time=source.time, samples=source.samples, key=key, relation=source.relation, join=join,
        lo=lo, hi=hi, filters=filter_clauses(source.columns, filter_params),
    )  # fmt: skip
