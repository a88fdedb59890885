"""Releases: the list of releases a project's page views named, and a release compared
with the one before it (or a named release, or a time window) from the route rollups.

A comparison answers, for each metric: overall, per device class, and per route (all
devices, then each device) where both sides have enough samples, the p75 of each side,
the relative change with its 95 % interval, the change of the good share and a verdict
(services/query/significance.py says how, and why it is sound on histogram bins). The
routes of all metrics are one family for Benjamini-Hochberg; overall and per device are
few and fixed in advance, so they are tested at 5 % each. Routes come regressions first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.params import FromPath, QueryParameter

from services.contracts.errors import ApiError
from services.contracts.metrics import DEVICE_NAMES, Device, Metric, Rating
from services.contracts.releases import LAST_SEEN_SLACK
from services.query.answers import guarded, json_response
from services.query.errors import invalid_parameter
from services.query.openapi import VIEW_ERRORS
from services.query.plan import Interval
from services.query.reads import releases as reads
from services.query.reads.releases import BinCount, Release
from services.query.significance import Comparison, Side, adjust, compare
from services.query.timerange import resolve

METRICS = list(Metric)
MAX_LISTED = 100
MAX_BASELINE_WINDOW = timedelta(days=90)
# Routes first by verdict, then by how much slower.
VERDICT_ORDER = {"regressed": 0, "improved": 1, "unchanged": 2, "insufficient_data": 3}


class ListedRelease(msgspec.Struct, frozen=True):
    name: str
    first_seen: datetime
    last_seen: datetime
    samples: dict[str, int]  # per metric, over the days the release was seen


class ReleaseList(msgspec.Struct, frozen=True):
    project_id: int
    releases: list[ListedRelease]


class Baseline(msgspec.Struct, frozen=True):
    kind: str  # "release" (the one before, or a named one) or "window"
    release: str | None
    start: datetime = msgspec.field(name="from")
    end: datetime = msgspec.field(name="to")


class RouteComparison(msgspec.Struct, frozen=True):
    route: str
    device: str | None  # None: all devices of the route
    comparison: Comparison


class MetricComparison(msgspec.Struct, frozen=True):
    overall: Comparison
    devices: dict[str, Comparison]
    routes: list[RouteComparison]


class ReleaseComparison(msgspec.Struct, frozen=True):
    project_id: int
    release: str
    start: datetime = msgspec.field(name="from")
    end: datetime = msgspec.field(name="to")
    baseline: Baseline | None = None  # None: no release came before, and none was asked
    metrics: dict[str, MetricComparison] = msgspec.field(default_factory=dict)


@get("/releases", responses=VIEW_ERRORS, summary="The releases page views named, newest first")
async def releases_view(
    *,
    request: Request[Any, Any, Any],
    project_id: FromPath[int],
    limit: Annotated[int, QueryParameter(description="How many.", ge=1, le=MAX_LISTED)] = 20,
) -> Any:
    db = request.app.state.db

    async def compute() -> ReleaseList:
        listed = await reads.releases(db, project_id, limit)
        until = datetime.now(UTC) + timedelta(days=1)
        counts = await reads.samples_per_metric(
            db, project_id, [int(m) for m in METRICS], listed, until
        )
        return ReleaseList(
            project_id=project_id,
            releases=[
                ListedRelease(
                    name=r.name,
                    first_seen=r.first_seen,
                    last_seen=r.last_seen,
                    samples={m.name: counts.get((r.name, int(m)), 0) for m in METRICS},
                )
                for r in listed
            ],
        )

    return json_response(msgspec.json.encode(await guarded(compute)))


@get(
    "/releases/{release:str}/comparison",
    responses=VIEW_ERRORS,
    summary="A release against the one before it (or a baseline release or time window)",
)
async def comparison_view(
    *,
    request: Request[Any, Any, Any],
    project_id: FromPath[int],
    release: FromPath[str],
    baseline: Annotated[
        str | None,
        QueryParameter(
            required=False,
            description="The release to compare with; default: the one first seen before.",
        ),
    ] = None,
    baseline_from: Annotated[
        str | None,
        QueryParameter(
            required=False,
            description="Compare with every page view from this instant (ISO 8601) instead "
            "of a release; with `baseline_to`. Read in whole hours.",
        ),
    ] = None,
    baseline_to: Annotated[
        str | None,
        QueryParameter(required=False, description="End of the baseline window (exclusive)."),
    ] = None,
) -> Any:
    db = request.app.state.db
    window = _baseline_window(baseline, baseline_from, baseline_to)

    async def compute() -> ReleaseComparison:
        subject = await reads.release(db, project_id, release)
        if subject is None:
            raise ApiError(404, "release_not_found", f"no page view named release {release!r}")
        other = await _baseline(db, project_id, subject, baseline, window)
        result = ReleaseComparison(
            project_id, subject.name, *_seen(subject), baseline=other
        )  # fmt: skip
        if other is None:
            return result
        metrics = [int(m) for m in METRICS]
        ours = await reads.side_bins(db, project_id, metrics, _interval(subject), subject.name)
        theirs = await reads.side_bins(
            db, project_id, metrics, Interval(other.start, other.end), other.release
        )
        return msgspec.structs.replace(result, metrics=compare_sides(ours, theirs))

    return json_response(msgspec.json.encode(await guarded(compute)))


def compare_sides(ours: list[BinCount], theirs: list[BinCount]) -> dict[str, MetricComparison]:
    release, baseline = _group(ours), _group(theirs)
    overall: dict[str, Comparison] = {}
    devices: dict[str, dict[str, Comparison]] = defaultdict(dict)
    routes: list[tuple[str, str, str | None, Comparison]] = []
    for metric in METRICS:
        key = (int(metric),)
        overall[metric.name] = compare(metric, _side(release[key]), _side(baseline[key]))
        for device in Device:
            dkey = (int(metric), int(device))
            if dkey in release or dkey in baseline:
                devices[metric.name][DEVICE_NAMES[device]] = compare(
                    metric, _side(release[dkey]), _side(baseline[dkey])
                )
        for route_key in sorted(k for k in release if len(k) == 3 and k[0] == int(metric)):
            _, route, device_id = route_key
            name = None if device_id == -1 else DEVICE_NAMES[Device(device_id)]
            compared = compare(metric, _side(release[route_key]), _side(baseline[route_key]))
            if compared.verdict != "insufficient_data":
                routes.append((metric.name, route, name, compared))
    adjusted = adjust([c for *_, c in routes])
    per_metric: dict[str, list[RouteComparison]] = defaultdict(list)
    for (metric_name, route, device_name, _), comparison in zip(routes, adjusted, strict=True):
        per_metric[metric_name].append(RouteComparison(route, device_name, comparison))
    return {
        metric.name: MetricComparison(
            overall=overall[metric.name],
            devices=devices[metric.name],
            routes=sorted(per_metric[metric.name], key=_regressions_first),
        )
        for metric in METRICS
    }


# Bins of one group: (metric,), (metric, device) or (metric, route, device or -1 for all).
Groups = defaultdict[tuple[Any, ...], dict[tuple[int, int], int]]


def _group(rows: Iterable[BinCount]) -> Groups:
    groups: Groups = defaultdict(lambda: defaultdict(int))
    for row in rows:
        for key in (
            (row.metric,),
            (row.metric, row.device),
            (row.metric, row.route, -1),
            (row.metric, row.route, row.device),
        ):
            groups[key][(row.bin, row.rating)] += row.samples
    return groups


def _side(bins: dict[tuple[int, int], int]) -> Side:
    per_bin: dict[int, int] = defaultdict(int)
    for (bin_index, _), n in bins.items():
        per_bin[bin_index] += n
    good = sum(n for (_, rating), n in bins.items() if rating == Rating.GOOD)
    return Side(tuple(sorted(per_bin.items())), good)


def _regressions_first(route: RouteComparison) -> tuple[int, float, str, str]:
    change = route.comparison.change.p75_relative or 0.0
    return (VERDICT_ORDER[route.comparison.verdict], -change, route.route, route.device or "")


def _seen(r: Release) -> tuple[datetime, datetime]:
    """The window a release's page views fall in (last_seen trails by up to the slack)."""
    return r.first_seen, r.last_seen + LAST_SEEN_SLACK


def _interval(r: Release) -> Interval:
    return Interval(*_seen(r))


async def _baseline(
    db: Any, project_id: int, subject: Release, name: str | None, window: Interval | None
) -> Baseline | None:
    if window is not None:
        return Baseline("window", None, window.start, window.end)
    other = (
        await reads.release(db, project_id, name)
        if name is not None
        else await reads.previous_release(db, project_id, subject)
    )
    if other is None and name is not None:
        raise ApiError(404, "release_not_found", f"no page view named release {name!r}")
    return None if other is None else Baseline("release", other.name, *_seen(other))


def _baseline_window(name: str | None, start: str | None, end: str | None) -> Interval | None:
    if start is None and end is None:
        return None
    if name is not None:
        raise invalid_parameter("baseline", "give a baseline release or a window, not both")
    if start is None or end is None:
        raise invalid_parameter("baseline_from", "a baseline window needs both ends")
    now = datetime.now(UTC)
    time_range = resolve(start=start, end=end, relative=None, tz="UTC", now=now,
                         default=MAX_BASELINE_WINDOW)  # fmt: skip
    if time_range.end - time_range.start > MAX_BASELINE_WINDOW:
        raise invalid_parameter("baseline_to", "a baseline window is at most 90 days")
    return Interval(time_range.start, time_range.end)
