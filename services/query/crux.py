"""`POST /v1/records:queryRecord`: the Chrome UX Report API's record shape over our data,
so CrUX tooling can point at a project.

The project is the `project_id` query parameter, or, when it is omitted, the one project
the token grants. The window is the last 28 days (UTC), today included; histograms have
CrUX's three bins at the official thresholds and p75 is rounded as CrUX rounds it
(milliseconds as integers, CLS as a string with two decimals). A `url` is read by the
ingest rule (contracts/page_url.py), so `/caf%C3%A9` finds the page stored as `/café`.

It fails as CrUX fails (crux_errors.py): 404 NOT_FOUND "chrome ux report data not found"
when there is no data, 400 INVALID_ARGUMENT, and 429 RESOURCE_EXHAUSTED with Retry-After
past the project's queries per minute (crux_quota.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec
from litestar import Request, Response, post
from litestar.params import JSONBody, QueryParameter

from services.contracts.errors import ApiError
from services.contracts.metrics import SPECS, Device, Metric
from services.contracts.page_url import InvalidUrl, split_page_url
from services.query.answers import answer
from services.query.auth import SECURITY, authenticate, claims_of
from services.query.crux_errors import CRUX_ERRORS, CRUX_EXCEPTION_HANDLERS, NOT_FOUND_MESSAGE
from services.query.crux_quota import take_crux_query
from services.query.errors import check_project_id, forbidden_project, invalid_parameter
from services.query.filters import Filters
from services.query.plan import Interval, plan
from services.query.reads.histograms import Db, QuantileRow, fetch_quantiles
from services.query.reads.pages import fetch_hosts
from services.query.stats import percentile_of
from services.query.timerange import TimeRange

CRUX_NAMES = {
    Metric.LCP: "largest_contentful_paint",
    Metric.INP: "interaction_to_next_paint",
    Metric.CLS: "cumulative_layout_shift",
    Metric.FCP: "first_contentful_paint",
    Metric.TTFB: "experimental_time_to_first_byte",
}
METRICS_BY_NAME = {name: metric for metric, name in CRUX_NAMES.items()}
FORM_FACTORS = {"PHONE": Device.MOBILE, "TABLET": Device.TABLET, "DESKTOP": Device.DESKTOP}
COLLECTION_DAYS = 28
FormFactor = Literal["ALL_FORM_FACTORS", "PHONE", "TABLET", "DESKTOP"]


class RecordRequest(msgspec.Struct, frozen=True, rename="camel"):
    """CrUX's request body; fields it has that we do not serve are ignored."""

    origin: str | None = None
    url: str | None = None
    form_factor: FormFactor | None = None
    metrics: list[str] | None = None


class Bin(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    start: int | str
    end: int | str | None = None  # the last bin is open-ended
    density: float


class Percentiles(msgspec.Struct, frozen=True):
    p75: int | str


class RecordMetric(msgspec.Struct, frozen=True):
    histogram: list[Bin]
    percentiles: Percentiles


class Day(msgspec.Struct, frozen=True):
    year: int
    month: int
    day: int


class CollectionPeriod(msgspec.Struct, frozen=True, rename="camel"):
    first_date: Day
    last_date: Day


class Key(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True):
    form_factor: str | None = None
    origin: str | None = None
    url: str | None = None


class Record(msgspec.Struct, frozen=True, rename="camel"):
    key: Key
    metrics: dict[str, RecordMetric]
    collection_period: CollectionPeriod


class RecordResponse(msgspec.Struct, frozen=True):
    record: Record


class RecordQuery(msgspec.Struct, frozen=True):
    """The normalised request: what the cache key is made of."""

    key: Key
    metrics: tuple[int, ...]
    filters: Filters
    range: TimeRange


def _day(value: date) -> Day:
    return Day(value.year, value.month, value.day)


def _bound(metric: Metric, value: float) -> int | str:
    return f"{value:.2f}" if metric is Metric.CLS else int(value)


def record_metric(metric: Metric, row: QuantileRow) -> RecordMetric:
    spec = SPECS[metric]
    good, poor = _bound(metric, spec.good_max), _bound(metric, spec.poor_min_exclusive)
    densities = [n / row.total for n in (row.good, row.needs_improvement, row.poor)]
    p75 = percentile_of(metric, row, "p75")
    return RecordMetric(
        histogram=[
            Bin(start=_bound(metric, 0), end=good, density=round(densities[0], 4)),
            Bin(start=good, end=poor, density=round(densities[1], 4)),
            Bin(start=poor, density=round(densities[2], 4)),
        ],
        percentiles=Percentiles(f"{p75:.2f}" if metric is Metric.CLS else round(p75)),
    )


def normalise(body: RecordRequest, now: datetime) -> RecordQuery:
    if (body.origin is None) == (body.url is None):
        raise invalid_parameter("origin", "give exactly one of origin and url")
    field = "url" if body.url is not None else "origin"
    target = (body.origin or body.url or "").strip()
    try:
        page = split_page_url(target)
    except InvalidUrl as exc:
        raise invalid_parameter(field, f"{_quoted(target)} {exc}") from None
    scheme, host = urlsplit(target).scheme, page.host  # both checked by split_page_url
    metrics = tuple(Metric)
    if body.metrics:
        unknown = [name for name in body.metrics if name not in METRICS_BY_NAME]
        if unknown:
            named = ", ".join(_quoted(name, 40) for name in unknown[:5])
            raise invalid_parameter(
                "metrics", f"unknown metrics {named}; we serve {list(METRICS_BY_NAME)}"
            )
        metrics = tuple(METRICS_BY_NAME[name] for name in sorted(set(body.metrics)))
    device = FORM_FACTORS.get(body.form_factor or "")
    origin = f"{scheme}://{host}"
    key = Key(
        form_factor=body.form_factor if device is not None else None,
        origin=origin if body.origin else None,
        url=f"{origin}{page.path}" if body.url else None,
    )
    filters = Filters(
        host=(host,),
        path=(page.path,) if body.url else (),
        device=(int(device),) if device is not None else (),
    )
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    window = TimeRange(today - timedelta(days=COLLECTION_DAYS - 1), today + timedelta(days=1))
    return RecordQuery(key, tuple(int(m) for m in metrics), filters, window)


async def query_record(db: Db, project_id: int, query: RecordQuery) -> RecordResponse:
    filters = query.filters
    hosts = await fetch_hosts(db, project_id)
    if hosts == list(filters.host):
        # The project's only host: the filter changes nothing, and without it a
        # smaller rollup answers.
        filters = msgspec.structs.replace(filters, host=())
    elif filters.host[0] not in hosts:
        raise not_found()
    window = Interval(query.range.start, query.range.end)
    query_plan = plan([window], filters.active())
    rows = await fetch_quantiles(
        db, project_id, metrics=list(query.metrics), plan=query_plan, filters=filters
    )
    metrics = {
        CRUX_NAMES[Metric(row.metric)]: record_metric(Metric(row.metric), row)
        for row in sorted(rows, key=lambda r: r.metric)
        if row.total
    }
    if not metrics:
        raise not_found()
    return RecordResponse(
        Record(
            key=query.key,
            metrics=metrics,
            collection_period=CollectionPeriod(
                _day(query.range.start.date()), _day((query.range.end - timedelta(days=1)).date())
            ),
        )
    )


def _quoted(value: str, limit: int = 100) -> str:
    """The caller's value in a message, cut short: an error must not echo a megabyte."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def not_found() -> ApiError:
    return ApiError(404, "not_found", NOT_FOUND_MESSAGE)


def project_for(request: Request[Any, Any, Any], project_id: int | None) -> int:
    claims = claims_of(request)
    if project_id is None:
        if len(claims.projects) != 1:
            raise invalid_parameter(
                "project_id", "required unless the token grants exactly one project"
            )
        project_id = claims.projects[0]
    check_project_id(project_id)
    if not claims.grants(project_id):
        raise forbidden_project(project_id)
    return project_id


@post(
    "/v1/records:queryRecord",
    responses=CRUX_ERRORS,
    exception_handlers=CRUX_EXCEPTION_HANDLERS,
    guards=[authenticate],
    security=SECURITY,
    status_code=200,
    summary="A Chrome UX Report API record over this project's data (last 28 days)",
    description="The body is CrUX's (`origin` or `url`, `formFactor`, `metrics`); the "
    "project is `project_id`, or the token's only project. Errors take the CrUX API's "
    "shape, `{error: {code, message, status, details}}`: 404 NOT_FOUND `chrome ux report "
    "data not found` when there is no data, 400 INVALID_ARGUMENT, 429 RESOURCE_EXHAUSTED "
    "with Retry-After past the project's queries per minute.",
)
async def query_record_view(
    *,
    request: Request[Any, Any, Any],
    data: JSONBody[RecordRequest],
    project_id: Annotated[
        int | None,
        QueryParameter(required=False, description="Defaults to the token's only project."),
    ] = None,
) -> Response[RecordResponse]:
    project = project_for(request, project_id)
    query = normalise(data, datetime.now(UTC))
    settings = request.app.state.settings
    await take_crux_query(request.app.state.cache, project, settings.crux_queries_per_minute)
    return await answer(
        request,
        project_id=project,
        view="crux",
        query=query,
        window_end=query.range.end,
        compute=lambda: query_record(request.app.state.db, project, query),
    )
