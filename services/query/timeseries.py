"""The time-series view: one metric's percentiles and counts per bucket, gaps included."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from services.contracts.metrics import Metric
from services.query.answers import answer
from services.query.buckets import WIDTHS, buckets, choose_width
from services.query.errors import invalid_parameter
from services.query.openapi import VIEW_ERRORS
from services.query.plan import plan
from services.query.reads.histograms import Db, fetch_quantiles
from services.query.selection import METRIC_NAMES, Selection, parse_metric, provide_selection
from services.query.stats import PERCENTILES, RatingShares, Unit, Window, stats_of, unit_of


class Point(msgspec.Struct, frozen=True):
    start: datetime
    end: datetime
    count: int  # 0 for a bucket without samples, whose values are then null
    low_sample: bool
    values: dict[str, float | None]  # percentile name -> value
    shares: RatingShares


class Timeseries(msgspec.Struct, frozen=True):
    project_id: int
    metric: str
    unit: Unit
    bucket: str
    percentiles: list[str]
    range: Window
    filters: dict[str, list[str]]
    points: list[Point]


class SeriesQuery(msgspec.Struct, frozen=True):
    selection: Selection
    metric: int
    bucket: str
    percentiles: tuple[str, ...]


def parse_percentiles(raw: list[str] | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if not raw:
        return default
    chosen = set()
    for item in raw:
        for part in item.split(","):
            name = part.strip().lower()
            name = name if name.startswith("p") else "p" + name
            if name not in PERCENTILES:
                raise invalid_parameter(
                    "percentile", f"unknown percentile {part!r}; expected {', '.join(PERCENTILES)}"
                )
            chosen.add(name)
    return tuple(p for p in PERCENTILES if p in chosen)


async def series(db: Db, project_id: int, query: SeriesQuery) -> Timeseries:
    metric = Metric(query.metric)
    selection = query.selection
    chart = buckets(selection.range, query.bucket)
    query_plan = plan([b.inside for b in chart], selection.filters.active())
    rows = await fetch_quantiles(
        db, project_id, metrics=[metric], plan=query_plan, filters=selection.filters
    )
    by_slot = {row.slot: row for row in rows}
    points = []
    for slot, bucket in enumerate(chart, start=1):
        stats = stats_of(metric, by_slot.get(slot))
        points.append(
            Point(
                start=bucket.start,
                end=bucket.end,
                count=stats.count,
                low_sample=stats.low_sample,
                values={name: getattr(stats, name) for name in query.percentiles},
                shares=stats.shares,
            )
        )
    return Timeseries(
        project_id=project_id,
        metric=metric.name,
        unit=unit_of(metric),
        bucket=query.bucket,
        percentiles=list(query.percentiles),
        range=Window.of(selection.range),
        filters=selection.filters.described(),
        points=points,
    )


@get(
    "/timeseries",
    dependencies={"selection": Provide(provide_selection)},
    responses=VIEW_ERRORS,
    summary="One metric's percentiles and sample counts per time bucket",
)
async def timeseries_view(
    *,
    request: Request[Any, Any, Any],
    project_id: FromPath[int],
    selection: NamedDependency[Selection],
    metric: Annotated[str, QueryParameter(description="One of " + ", ".join(METRIC_NAMES))],
    percentile: Annotated[
        list[str] | None,
        QueryParameter(
            required=False,
            description="p50, p75, p90, p95 or p99; repeat or "
            "comma-separate for several. Default p75.",
        ),
    ] = None,
    bucket: Annotated[
        str | None,
        QueryParameter(
            required=False,
            description="Bucket width: " + ", ".join(WIDTHS) + ". "
            "Derived from the range when omitted (at most 400 buckets).",
        ),
    ] = None,
) -> Response[Timeseries]:
    query = SeriesQuery(
        selection=selection,
        metric=int(parse_metric(metric)),
        bucket=choose_width(bucket, selection.range),
        percentiles=parse_percentiles(percentile, ("p75",)),
    )
    return await answer(
        request,
        project_id=project_id,
        view="timeseries",
        query=query,
        window_end=selection.range.end,
        window_start=selection.range.start,
        compute=lambda: series(request.app.state.db, project_id, query),
    )
