"""What a view selects: a time window and filters, the parameters every view shares.

Provided as a dependency, so each endpoint documents the same parameters in OpenAPI and
rejects the same mistakes with the same 400s.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import msgspec
from litestar.params import QueryParameter

from services.contracts.metrics import Metric
from services.query.errors import invalid_parameter
from services.query.filters import Filters, parse_filters
from services.query.timerange import TimeRange, resolve

DEFAULT_RANGE = timedelta(days=7)
METRIC_NAMES = tuple(m.name for m in Metric)

_FILTER_HELP = (
    "Repeat the parameter (or give a comma-separated list) to match any of several values."
)


class Selection(msgspec.Struct, frozen=True):
    range: TimeRange
    filters: Filters


def parse_metric(text: str) -> Metric:
    try:
        return Metric[text.strip().upper()]
    except KeyError:
        raise invalid_parameter(
            "metric", f"unknown metric {text!r}; expected one of {', '.join(METRIC_NAMES)}"
        ) from None


async def provide_selection(
    *,
    start: Annotated[
        str | None,
        QueryParameter(
            name="from",
            required=False,
            description="Start of the window (inclusive), ISO 8601. Without an offset it is "
            "read in `tz`. Use with `to`, or give `range` instead.",
        ),
    ] = None,
    end: Annotated[
        str | None,
        QueryParameter(
            name="to",
            required=False,
            description="End of the window (exclusive), ISO 8601; defaults to now when "
            "`from` is given.",
        ),
    ] = None,
    relative: Annotated[
        str | None,
        QueryParameter(
            name="range",
            required=False,
            description="A window ending now: `last 7d`, `24h`, `30m`, `2w`. Ranges of a day "
            "or more end at the next whole hour, shorter ones at the next whole minute. "
            "Default `last 7d`; at most 400 days.",
        ),
    ] = None,
    tz: Annotated[
        str,
        QueryParameter(
            required=False,
            description="IANA time zone that buckets align to and that offset-less "
            "timestamps are read in.",
        ),
    ] = "UTC",
    route: Annotated[
        list[str] | None,
        QueryParameter(
            required=False,
            description="Route template, e.g. `/products/:id`. "
            "Repeat the parameter for several routes.",
        ),
    ] = None,
    device: Annotated[
        list[str] | None,
        QueryParameter(
            required=False, description="desktop, mobile, tablet or other. " + _FILTER_HELP
        ),
    ] = None,
    browser: Annotated[
        list[str] | None,
        QueryParameter(required=False, description="Browser family. " + _FILTER_HELP),
    ] = None,
    os: Annotated[
        list[str] | None,
        QueryParameter(required=False, description="Operating system. " + _FILTER_HELP),
    ] = None,
    country: Annotated[
        list[str] | None,
        QueryParameter(required=False, description="ISO 3166 alpha-2 code. " + _FILTER_HELP),
    ] = None,
    connection: Annotated[
        list[str] | None,
        QueryParameter(
            required=False,
            description="Effective connection type (4g, 3g, 2g, slow-2g). " + _FILTER_HELP,
        ),
    ] = None,
    navigation_type: Annotated[
        list[str] | None,
        QueryParameter(
            required=False,
            description="navigate, reload, back-forward, "
            "back-forward-cache, prerender, restore or soft-navigation. " + _FILTER_HELP,
        ),
    ] = None,
    release: Annotated[
        list[str] | None,
        QueryParameter(
            required=False,
            description="Release, as the SDK's `release` option named it. "
            "Repeat the parameter for several releases.",
        ),
    ] = None,
) -> Selection:
    time_range = resolve(
        start=start, end=end, relative=relative, tz=tz, now=datetime.now(UTC),
        default=DEFAULT_RANGE,
    )  # fmt: skip
    filters = parse_filters(
        route=route, device=device, browser=browser, os=os, country=country,
        connection=connection, navigation_type=navigation_type, release=release,
    )  # fmt: skip
    return Selection(time_range, filters)
