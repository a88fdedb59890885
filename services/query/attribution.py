"""The attribution view: what made a metric slow — LCP elements and resources, INP targets,
interaction types and scripts, CLS shift sources — with the phase split of each."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from services.contracts.metrics import Metric
from services.query.answers import answer
from services.query.openapi import VIEW_ERRORS
from services.query.plan import Interval
from services.query.reads.attribution import (
    AttributionRow,
    Column,
    fetch_overall,
    fetch_top_values,
)
from services.query.reads.histograms import Db
from services.query.selection import METRIC_NAMES, Selection, parse_metric, provide_selection
from services.query.stats import LOW_SAMPLE, Unit, Window, unit_of

MAX_LIMIT = 100
# Per metric: the groupings offered (name -> attr column) and the phase names, in the
# order services/workers/attribution.py stores them in attr_phase1..4.
GROUPINGS: dict[Metric, dict[str, Column]] = {
    Metric.LCP: {"element": "attr_target", "resource": "attr_url"},
    Metric.INP: {"target": "attr_target", "interaction_type": "attr_kind",
                 "script": "attr_url"},
    Metric.CLS: {"source": "attr_target", "load_state": "attr_kind"},
    Metric.FCP: {"load_state": "attr_kind"},
    Metric.TTFB: {},
}  # fmt: skip
PHASES: dict[Metric, tuple[str, ...]] = {
    Metric.LCP: ("time_to_first_byte", "resource_load_delay", "resource_load_duration",
                 "element_render_delay"),
    Metric.INP: ("input_delay", "processing_duration", "presentation_delay"),
    Metric.CLS: ("largest_shift_value", "largest_shift_time"),
    Metric.FCP: ("time_to_first_byte", "first_byte_to_fcp"),
    Metric.TTFB: ("dns_duration", "connection_duration", "request_duration",
                  "waiting_duration"),
}  # fmt: skip


class Phase(msgspec.Struct, frozen=True):
    """One phase of the metric (ms; CLS's largest_shift_value is a score)."""

    name: str
    mean: float | None
    p75: float | None


class Attributed(msgspec.Struct, frozen=True):
    value: str  # a CSS selector, URL, interaction type or load state
    count: int
    share: float  # of the metric's samples in the window
    low_sample: bool
    p75: float | None  # the metric's p75 over these samples
    phases: list[Phase]


class Attribution(msgspec.Struct, frozen=True):
    project_id: int
    metric: str
    unit: Unit
    count: int
    p75: float | None
    phases: list[Phase]  # over every sample of the metric
    groups: dict[str, list[Attributed]]  # grouping name -> top values, most frequent first
    range: Window
    filters: dict[str, list[str]]


class AttributionQuery(msgspec.Struct, frozen=True):
    selection: Selection
    metric: int
    limit: int


def phases_of(metric: Metric, row: AttributionRow) -> list[Phase]:
    return [
        Phase(name, getattr(row, f"phase{i}_mean"), getattr(row, f"phase{i}_p75"))
        for i, name in enumerate(PHASES[metric], start=1)
    ]


def attributed(metric: Metric, row: AttributionRow, total: int) -> Attributed:
    return Attributed(
        value=row.value,
        count=row.count,
        share=row.count / total if total else 0.0,
        low_sample=row.count < LOW_SAMPLE,
        p75=row.p75,
        phases=phases_of(metric, row),
    )


async def attribute(db: Db, project_id: int, query: AttributionQuery) -> Attribution:
    metric = Metric(query.metric)
    selection = query.selection
    window, filters = Interval(selection.range.start, selection.range.end), selection.filters
    overall = await fetch_overall(db, project_id, metric=metric, window=window, filters=filters)
    groups = {}
    for name, column in GROUPINGS[metric].items():
        rows = await fetch_top_values(
            db, project_id, metric=metric, window=window, filters=filters, column=column,
            limit=query.limit,
        )  # fmt: skip
        groups[name] = [attributed(metric, row, overall.count) for row in rows]
    return Attribution(
        project_id=project_id,
        metric=metric.name,
        unit=unit_of(metric),
        count=overall.count,
        p75=overall.p75,
        phases=phases_of(metric, overall),
        groups=groups,
        range=Window.of(selection.range),
        filters=filters.described(),
    )


@get(
    "/attribution",
    dependencies={"selection": Provide(provide_selection)},
    responses=VIEW_ERRORS,
    summary="Top attribution values of one metric with counts, p75 and phase split",
    description="Computed from raw rows: percentiles are exact nearest-rank values.",
)
async def attribution_view(
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
    limit: Annotated[
        int, QueryParameter(description="Top values per grouping.", ge=1, le=MAX_LIMIT)
    ] = 10,
) -> Response[Attribution]:
    query = AttributionQuery(selection=selection, metric=int(parse_metric(metric)), limit=limit)
    return await answer(
        request,
        project_id=project_id,
        view="attribution",
        query=query,
        window_end=selection.range.end,
        window_start=selection.range.start,
        compute=lambda: attribute(request.app.state.db, project_id, query),
    )
