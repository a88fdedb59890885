"""The summary view: every metric's percentiles and rating split, the Core Web Vitals
verdict, and the change against the period of equal length just before."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from services.contracts.metrics import Metric
from services.query.answers import answer
from services.query.openapi import VIEW_ERRORS
from services.query.plan import Interval, plan
from services.query.reads.histograms import Db, fetch_quantiles
from services.query.selection import Selection, provide_selection
from services.query.stats import Stats, Unit, Window, stats_of, unit_of

CORE_WEB_VITALS = (Metric.LCP, Metric.INP, Metric.CLS)


class Change(msgspec.Struct, frozen=True):
    """Current against previous period; None where the previous period has no samples."""

    p75: float | None  # relative: 0.1 is 10 % slower
    p75_delta: float | None  # in the metric's unit
    count: float | None  # relative
    good_share: float | None  # difference of the good shares: 0.05 is 5 points better


class MetricSummary(msgspec.Struct, frozen=True):
    metric: str
    unit: Unit
    current: Stats
    previous: Stats
    change: Change


class Verdict(msgspec.Struct, frozen=True):
    """Core Web Vitals at p75: passed when LCP, INP and CLS are all good; insufficient_data
    when one of them has no samples (`missing`); `failing` lists those not good."""

    status: Literal["passed", "failed", "insufficient_data"]
    failing: list[str]
    missing: list[str]


class Summary(msgspec.Struct, frozen=True):
    project_id: int
    range: Window
    previous_range: Window
    filters: dict[str, list[str]]
    core_web_vitals: Verdict
    metrics: dict[str, MetricSummary]


def change_of(current: Stats, previous: Stats) -> Change:
    if previous.count == 0:
        return Change(None, None, None, None)
    p75 = p75_delta = None
    if current.p75 is not None and previous.p75 is not None:
        p75_delta = current.p75 - previous.p75
        p75 = p75_delta / previous.p75 if previous.p75 else None
    return Change(
        p75=p75,
        p75_delta=p75_delta,
        count=(current.count - previous.count) / previous.count,
        good_share=current.shares.good - previous.shares.good if current.count else None,
    )


def verdict_of(metrics: dict[str, MetricSummary]) -> Verdict:
    current = {m.name: metrics[m.name].current for m in CORE_WEB_VITALS}
    missing = [name for name, stats in current.items() if stats.count == 0]
    failing = [name for name, s in current.items() if s.count and s.rating != "good"]
    status: Literal["passed", "failed", "insufficient_data"] = (
        "insufficient_data" if missing else "failed" if failing else "passed"
    )
    return Verdict(status, failing, missing)


async def summarize(db: Db, project_id: int, selection: Selection) -> Summary:
    current, previous = selection.range, selection.range.previous()
    slots = [Interval(previous.start, previous.end), Interval(current.start, current.end)]
    query_plan = plan(slots, selection.filters.active())
    rows = await fetch_quantiles(
        db, project_id, metrics=[int(m) for m in Metric], plan=query_plan, filters=selection.filters
    )
    by_slot = {(row.slot, row.metric): row for row in rows}
    metrics = {}
    for metric in Metric:
        now_stats = stats_of(metric, by_slot.get((2, metric)))
        before = stats_of(metric, by_slot.get((1, metric)))
        metrics[metric.name] = MetricSummary(
            metric.name, unit_of(metric), now_stats, before, change_of(now_stats, before)
        )
    return Summary(
        project_id=project_id,
        range=Window.of(current),
        previous_range=Window.of(previous),
        filters=selection.filters.described(),
        core_web_vitals=verdict_of(metrics),
        metrics=metrics,
    )


@get(
    "/summary",
    dependencies={"selection": Provide(provide_selection)},
    responses=VIEW_ERRORS,
    summary="Every metric's percentiles, rating split and change; the Core Web Vitals verdict",
)
async def summary_view(
    *,
    request: Request[Any, Any, Any],
    project_id: FromPath[int],
    selection: NamedDependency[Selection],
) -> Response[Summary]:
    return await answer(
        request,
        project_id=project_id,
        view="summary",
        query=selection,
        window_end=selection.range.end,
        window_start=selection.range.previous().start,
        compute=lambda: summarize(request.app.state.db, project_id, selection),
    )
