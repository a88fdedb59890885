"""The breakdown view: one metric grouped by one dimension, sorted and paginated.

The pages view is the route breakdown. Groups with fewer than LOW_SAMPLE samples are
flagged `low_sample` rather than hidden: a percentile of a handful of page views is a
hint, not a fact.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from services.contracts.metrics import DEVICE_NAMES, NAVIGATION_TYPES, Device, Metric
from services.query.answers import answer
from services.query.errors import invalid_parameter
from services.query.filters import PUBLIC_DIMENSIONS, Dimension
from services.query.openapi import VIEW_ERRORS
from services.query.plan import Interval, plan
from services.query.reads.histograms import Db, fetch_quantiles
from services.query.selection import METRIC_NAMES, Selection, parse_metric, provide_selection
from services.query.stats import (
    PERCENTILES,
    Percentile,
    RatingCounts,
    RatingName,
    RatingShares,
    Stats,
    Unit,
    Window,
    stats_of,
    unit_of,
)

SORTS = ("count", "p75", "percentile", "good_share", "poor_share", "value")
MAX_LIMIT = 500


class Group(msgspec.Struct, frozen=True):
    value: str  # the dimension's value; "" where it is unknown (e.g. no country)
    count: int
    low_sample: bool
    p75: float | None
    percentile: float | None  # the requested percentile's value
    rating: RatingName | None  # of the p75 sample
    ratings: RatingCounts
    shares: RatingShares


class Breakdown(msgspec.Struct, frozen=True):
    project_id: int
    metric: str
    unit: Unit
    dimension: str
    percentile: str
    sort: str
    order: Literal["asc", "desc"]
    limit: int
    offset: int
    total: int  # groups in all pages
    range: Window
    filters: dict[str, list[str]]
    groups: list[Group]


class BreakdownQuery(msgspec.Struct, frozen=True):
    selection: Selection
    metric: int
    dimension: str
    percentile: str
    sort: str
    order: Literal["asc", "desc"]
    limit: int
    offset: int


def display_value(dimension: Dimension, key: str | None) -> str:
    if key is None:
        return ""
    if dimension == "device":
        return DEVICE_NAMES[Device(int(key))]
    if dimension == "navigation_type":
        index = int(key)
        return NAVIGATION_TYPES[index] if 0 <= index < len(NAVIGATION_TYPES) else key
    return key


def group_of(value: str, stats: Stats, percentile: Percentile) -> Group:
    return Group(
        value=value,
        count=stats.count,
        low_sample=stats.low_sample,
        p75=stats.p75,
        percentile=stats.percentile(percentile),
        rating=stats.rating,
        ratings=stats.ratings,
        shares=stats.shares,
    )


def sort_key(sort: str) -> Any:
    keys = {
        "count": lambda g: g.count,
        "p75": lambda g: g.p75 or 0.0,
        "percentile": lambda g: g.percentile or 0.0,
        "good_share": lambda g: g.shares.good,
        "poor_share": lambda g: g.shares.poor,
        "value": lambda g: g.value,
    }
    return keys[sort]


async def break_down(db: Db, project_id: int, query: BreakdownQuery) -> Breakdown:
    metric = Metric(query.metric)
    selection = query.selection
    dimension: Dimension = query.dimension  # type: ignore[assignment]
    percentile: Percentile = query.percentile  # type: ignore[assignment]
    window = Interval(selection.range.start, selection.range.end)
    query_plan = plan([window], selection.filters.active() | {dimension})
    rows = await fetch_quantiles(
        db,
        project_id,
        metrics=[metric],
        plan=query_plan,
        filters=selection.filters,
        group=dimension,
    )
    groups = [
        group_of(display_value(dimension, row.key), stats_of(metric, row), percentile)
        for row in rows
    ]
    # Ties break on the value, so pages never repeat or skip a group.
    groups.sort(key=lambda g: g.value)
    groups.sort(key=sort_key(query.sort), reverse=query.order == "desc")
    return Breakdown(
        project_id=project_id,
        metric=metric.name,
        unit=unit_of(metric),
        dimension=dimension,
        percentile=percentile,
        sort=query.sort,
        order=query.order,
        limit=query.limit,
        offset=query.offset,
        total=len(groups),
        range=Window.of(selection.range),
        filters=selection.filters.described(),
        groups=groups[query.offset : query.offset + query.limit],
    )


def _choice(name: str, value: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise invalid_parameter(
            name, f"unknown value {value!r}; expected one of {', '.join(options)}"
        )
    return value


@get(
    "/breakdown",
    dependencies={"selection": Provide(provide_selection)},
    responses=VIEW_ERRORS,
    summary="One metric grouped by a dimension: p75, a chosen percentile, counts, ratings",
)
async def breakdown_view(
    *,
    request: Request[Any, Any, Any],
    project_id: FromPath[int],
    selection: NamedDependency[Selection],
    metric: Annotated[
        str,
        QueryParameter(
            description="One of " + ", ".join(METRIC_NAMES),
            schema_extra={"enum": list(METRIC_NAMES)},
        ),
    ],
    dimension: Annotated[
        str,
        QueryParameter(
            description="What to group by.", schema_extra={"enum": list(PUBLIC_DIMENSIONS)}
        ),
    ] = "route",
    percentile: Annotated[
        str,
        QueryParameter(
            description="The percentile reported beside p75.",
            schema_extra={"enum": list(PERCENTILES)},
        ),
    ] = "p95",
    sort: Annotated[
        str, QueryParameter(description="Sort key.", schema_extra={"enum": list(SORTS)})
    ] = "count",
    order: Annotated[
        str, QueryParameter(description="asc or desc.", schema_extra={"enum": ["asc", "desc"]})
    ] = "desc",
    limit: Annotated[int, QueryParameter(description="Groups per page.", ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, QueryParameter(description="Groups to skip.", ge=0, le=1_000_000)] = 0,
) -> Response[Breakdown]:
    query = BreakdownQuery(
        selection=selection,
        metric=int(parse_metric(metric)),
        dimension=_choice("dimension", dimension, PUBLIC_DIMENSIONS),
        percentile=_choice("percentile", percentile.lower(), PERCENTILES),
        sort=_choice("sort", sort, SORTS),
        order=_choice("order", order, ("asc", "desc")),  # type: ignore[arg-type]
        limit=limit,
        offset=offset,
    )
    return await answer(
        request,
        project_id=project_id,
        view="breakdown",
        query=query,
        window_end=selection.range.end,
        window_start=selection.range.start,
        compute=lambda: break_down(request.app.state.db, project_id, query),
    )
