"""The releases views: the releases a project's page views named, its deploy markers,
and a release compared with the one before it (or a named release, or a time window),
read from the release rollup (a window from the route rollups; contracts'
release_comparison.py computes it, significance.py says how).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from services.contracts.database_errors import guarded
from services.contracts.errors import ApiError
from services.contracts.release_comparison import (
    METRICS,
    Groups,
    MetricComparison,
    compare_sides,
    grouped,
    release_groups,
)
from services.contracts.releases import LAST_SEEN_SLACK
from services.contracts.wire import MAX_RELEASE
from services.query.answers import json_response
from services.query.errors import invalid_parameter
from services.query.openapi import VIEW_ERRORS
from services.query.plan import Interval
from services.query.reads import releases as reads
from services.query.reads.histograms import Db
from services.query.reads.releases import Deploy, Release
from services.query.selection import Selection, provide_selection
from services.query.stats import Window
from services.query.timerange import resolve

METRIC_IDS = [int(m) for m in METRICS]
MAX_LISTED = 100
MAX_DEPLOYS = 500
MAX_BASELINE_WINDOW = timedelta(days=90)


class ListedRelease(msgspec.Struct, frozen=True):
    name: str
    first_seen: datetime
    last_seen: datetime
    deployed_at: datetime | None  # its latest deploy marker, if one was recorded
    samples: dict[str, int]  # per metric, over the days the release was seen


class ReleaseList(msgspec.Struct, frozen=True):
    project_id: int
    releases: list[ListedRelease]


class Baseline(msgspec.Struct, frozen=True):
    kind: str  # "release" (the one before, or a named one) or "window"
    release: str | None
    start: datetime = msgspec.field(name="from")
    end: datetime = msgspec.field(name="to")


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
        counts = await reads.samples_per_metric(db, project_id, METRIC_IDS, listed, until)
        deployed = await reads.deployed_at(db, project_id, [r.name for r in listed])
        return ReleaseList(
            project_id=project_id,
            releases=[
                ListedRelease(
                    name=r.name,
                    first_seen=r.first_seen,
                    last_seen=r.last_seen,
                    deployed_at=deployed.get(r.name),
                    samples={m.name: counts.get((r.name, int(m)), 0) for m in METRICS},
                )
                for r in listed
            ],
        )

    return json_response(msgspec.json.encode(await guarded(compute)))


class DeployList(msgspec.Struct, frozen=True):
    project_id: int
    range: Window
    deploys: list[Deploy]


@get(
    "/deploys",
    dependencies={"selection": Provide(provide_selection)},
    responses=VIEW_ERRORS,
    summary="Deploy markers in a window, newest first (the trend charts draw them)",
)
async def deploys_view(
    *,
    request: Request[Any, Any, Any],
    project_id: FromPath[int],
    selection: NamedDependency[Selection],
) -> Any:
    """The window is the views' (`from`/`to` or `range`); filters do not apply to deploys."""
    db = request.app.state.db
    window = Interval(selection.range.start, selection.range.end)

    async def compute() -> DeployList:
        listed = await reads.deploys(db, project_id, window, MAX_DEPLOYS)
        return DeployList(project_id, Window.of(selection.range), listed)

    return json_response(msgspec.json.encode(await guarded(compute)))


# The comparison's query parameters, shared by its two addresses.
BaselineName = Annotated[
    str | None,
    QueryParameter(
        required=False,
        description="The release to compare with; default: the one first seen before.",
    ),
]
BaselineFrom = Annotated[
    str | None,
    QueryParameter(
        required=False,
        description="Compare with every page view from this instant (ISO 8601) instead of a "
        "release; with `baseline_to`. Read in whole hours.",
    ),
]
BaselineTo = Annotated[
    str | None,
    QueryParameter(required=False, description="End of the baseline window (exclusive)."),
]


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
    baseline: BaselineName = None,
    baseline_from: BaselineFrom = None,
    baseline_to: BaselineTo = None,
) -> Any:
    return await _comparison(
        request, project_id, release, baseline=baseline, baseline_from=baseline_from,
        baseline_to=baseline_to,
    )  # fmt: skip


@get(
    "/releases/comparison",
    responses=VIEW_ERRORS,
    summary="The same, the release given as ?release= (a name with a / cannot be a path "
    "segment: servers decode %2F before routing)",
)
async def comparison_by_name_view(
    *,
    request: Request[Any, Any, Any],
    project_id: FromPath[int],
    release: Annotated[str, QueryParameter(description="The release to compare.")],
    baseline: BaselineName = None,
    baseline_from: BaselineFrom = None,
    baseline_to: BaselineTo = None,
) -> Any:
    return await _comparison(
        request, project_id, release, baseline=baseline, baseline_from=baseline_from,
        baseline_to=baseline_to,
    )  # fmt: skip


async def _comparison(
    request: Request[Any, Any, Any], project_id: int, release: str, *, baseline: str | None,
    baseline_from: str | None, baseline_to: str | None,
) -> Any:  # fmt: skip
    db = request.app.state.db
    window = _baseline_window(baseline, baseline_from, baseline_to)
    check_name("release", release)
    if baseline is not None:
        check_name("baseline", baseline)
    compared = await guarded(lambda: compare_release(db, project_id, release, baseline, window))
    return json_response(msgspec.json.encode(compared))


async def compare_release(
    db: asyncpg.Pool, project_id: int, release: str, baseline: str | None = None,
    window: Interval | None = None,
) -> ReleaseComparison:  # fmt: skip
    """`release` against `baseline` (a release), or `window`, or the release before it.
    Raises ApiError 404 for a release no page view named; names are checked by the caller."""
    comparison, _ = await compare_with_bins(db, project_id, release, baseline, window)
    return comparison


async def compare_with_bins(
    db: asyncpg.Pool, project_id: int, release: str, baseline: str | None = None,
    window: Interval | None = None,
) -> tuple[ReleaseComparison, Groups]:  # fmt: skip
    """compare_release, and the release's own groups it read (the budget check judges
    them: reading them once saves a third of its time on a month of data). The two sides
    are read side by side, each on a connection of the pool."""
    subject = await reads.release(db, project_id, release)
    if subject is None:
        raise ApiError(404, "release_not_found", f"no page view named release {release!r}")
    other = await _baseline(db, project_id, subject, baseline, window)
    result = ReleaseComparison(project_id, subject.name, *_seen(subject), baseline=other)
    if other is None:
        return result, await release_groups(db, project_id, subject.name)
    ours, theirs = await asyncio.gather(
        release_groups(db, project_id, subject.name), _baseline_groups(db, project_id, other)
    )
    return msgspec.structs.replace(result, metrics=compare_sides(ours, theirs)), ours


async def _baseline_groups(db: Db, project_id: int, baseline: Baseline) -> Groups:
    if baseline.release is not None:
        return await release_groups(db, project_id, baseline.release)
    window = Interval(baseline.start, baseline.end)
    return grouped(await reads.window_groups(db, project_id, METRIC_IDS, window))


def check_name(parameter: str, name: str) -> None:
    """A name PostgreSQL cannot even compare (NUL) is a 400; one longer than any release
    can be (the wire's limit) names none: 404, without asking the database."""
    if "\x00" in name:
        raise invalid_parameter(parameter, "must not contain NUL characters")
    if len(name) > MAX_RELEASE:
        raise ApiError(
            404, "release_not_found", f"no release has more than {MAX_RELEASE} characters"
        )


def _seen(r: Release) -> tuple[datetime, datetime]:
    """The window a release's page views fall in (last_seen trails by up to the slack)."""
    return r.first_seen, r.last_seen + LAST_SEEN_SLACK


async def _baseline(
    db: Db, project_id: int, subject: Release, name: str | None, window: Interval | None
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
