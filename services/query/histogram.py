"""The histogram view: one metric's distribution, its log-scale bins merged to a readable
number of buckets of equal log width (each bucket's start and end are exact bin edges)."""

from __future__ import annotations

import math
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from services.contracts.metrics import GAMMA, SPECS, ZERO_BIN, Metric
from services.query.answers import answer
from services.query.openapi import VIEW_ERRORS
from services.query.plan import Interval, plan
from services.query.reads.histograms import BinCount, Db, fetch_bin_counts
from services.query.selection import METRIC_NAMES, Selection, parse_metric, provide_selection
from services.query.stats import Unit, Window, unit_of

MAX_BUCKETS = 200


class HistogramBucket(msgspec.Struct, frozen=True):
    """Samples in (start, end]; the zero bucket, first when present, holds exactly 0."""

    start: float
    end: float
    count: int
    good: int
    needs_improvement: int
    poor: int


class Thresholds(msgspec.Struct, frozen=True):
    good: float  # good ≤ this
    poor: float  # poor > this


class Histogram(msgspec.Struct, frozen=True):
    project_id: int
    metric: str
    unit: Unit
    count: int
    thresholds: Thresholds
    range: Window
    filters: dict[str, list[str]]
    buckets: list[HistogramBucket]


class HistogramQuery(msgspec.Struct, frozen=True):
    selection: Selection
    metric: int
    buckets: int


def edge(metric: Metric, bin_index: int) -> float:
    """The upper edge of a bin in the metric's unit."""
    return float(GAMMA**bin_index / SPECS[metric].unit_scale)


def merge_bins(metric: Metric, counts: list[BinCount], target: int) -> list[HistogramBucket]:
    ratings: dict[int, list[int]] = {}
    for count in counts:
        ratings.setdefault(count.bin, [0, 0, 0])[count.rating] += count.n
    result = []
    if ZERO_BIN in ratings:
        zero = ratings.pop(ZERO_BIN)
        result.append(HistogramBucket(0.0, 0.0, sum(zero), *zero))
    if not ratings:
        return result
    low, high = min(ratings), max(ratings)
    width = math.ceil((high - low + 1) / target)
    for first in range(low, high + 1, width):
        split = [0, 0, 0]
        for bin_index in range(first, first + width):
            for rating, n in enumerate(ratings.get(bin_index, ())):
                split[rating] += n
        result.append(
            HistogramBucket(
                edge(metric, first - 1), edge(metric, first + width - 1), sum(split), *split
            )
        )
    return result


async def distribution(db: Db, project_id: int, query: HistogramQuery) -> Histogram:
    metric = Metric(query.metric)
    selection = query.selection
    window = Interval(selection.range.start, selection.range.end)
    query_plan = plan([window], selection.filters.active())
    counts = await fetch_bin_counts(
        db, project_id, metrics=[metric], plan=query_plan, filters=selection.filters
    )
    spec = SPECS[metric]
    return Histogram(
        project_id=project_id,
        metric=metric.name,
        unit=unit_of(metric),
        count=sum(c.n for c in counts),
        thresholds=Thresholds(spec.good_max, spec.poor_min_exclusive),
        range=Window.of(selection.range),
        filters=selection.filters.described(),
        buckets=merge_bins(metric, counts, query.buckets),
    )


@get(
    "/histogram",
    dependencies={"selection": Provide(provide_selection)},
    responses=VIEW_ERRORS,
    summary="One metric's distribution in log-scale buckets, split by rating",
)
async def histogram_view(
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
    buckets: Annotated[
        int,
        QueryParameter(
            description="At most this many buckets (besides the zero bucket).", ge=1, le=MAX_BUCKETS
        ),
    ] = 40,
) -> Response[Histogram]:
    query = HistogramQuery(selection=selection, metric=int(parse_metric(metric)), buckets=buckets)
    return await answer(
        request,
        project_id=project_id,
        view="histogram",
        query=query,
        window_end=selection.range.end,
        window_start=selection.range.start,
        compute=lambda: distribution(request.app.state.db, project_id, query),
    )
