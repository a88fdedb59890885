"""Beacon wire format v1: what the SDK sends and ingest accepts (golden files: tests/wire/v1/).

One beacon is one page view's batch of web-vitals reports. Field names are the SDK's
camelCase; attribution is flattened to scalars (DOM nodes and entries do not serialise).
Structural rules live in the types; value rules that depend on the metric live in
`check_values`, so the error can name the report.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from services.contracts.metrics import SPECS, Metric
from services.contracts.page_url import InvalidUrl, split_page_url

WIRE_VERSION = 1
MAX_REPORTS = 50  # five metrics, re-reported on bfcache restores and soft navigations
MAX_URL = 2048
MAX_SELECTOR = 512
MAX_SHORT = 64
MAX_ROUTE = 256
MAX_RELEASE = 64
# The `vitals.seq` column's integer range (migrations/0010): a larger value would pass
# here and then fail in the worker after its 202. A page never sends nearly as many.
MAX_SEQ = 2**31 - 1

Url = Annotated[str, Meta(max_length=MAX_URL)]
Selector = Annotated[str, Meta(max_length=MAX_SELECTOR)]
Short = Annotated[str, Meta(max_length=MAX_SHORT)]
# Durations inside attribution: non-negative and below an hour, which also excludes inf.
Duration = Annotated[float, Meta(ge=0, le=3_600_000)]
MetricName = Literal["LCP", "INP", "CLS", "FCP", "TTFB"]
NavigationType = Literal[
    "navigate", "reload", "back-forward", "back-forward-cache", "prerender", "restore",
    "soft-navigation",
]  # fmt: skip
LoadState = Literal["loading", "dom-interactive", "dom-content-loaded", "complete"]


class Struct(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    rename="camel",
    omit_defaults=True,
):
    pass


class Attribution(Struct, frozen=True):
    """The union of web-vitals' attribution scalars; each metric fills its own subset."""

    # LCP
    target: Selector | None = None
    url: Url | None = None
    time_to_first_byte: Duration | None = None
    resource_load_delay: Duration | None = None
    resource_load_duration: Duration | None = None
    element_render_delay: Duration | None = None
    # INP
    interaction_target: Selector | None = None
    interaction_type: Literal["pointer", "keyboard"] | None = None
    input_delay: Duration | None = None
    processing_duration: Duration | None = None
    presentation_delay: Duration | None = None
    longest_script_url: Url | None = None
    # CLS
    largest_shift_target: Selector | None = None
    largest_shift_value: Annotated[float, Meta(ge=0, le=100)] | None = None
    largest_shift_time: Duration | None = None
    # FCP (plus time_to_first_byte above)
    first_byte_to_fcp: Duration | None = msgspec.field(default=None, name="firstByteToFCP")
    # TTFB
    dns_duration: Duration | None = None
    connection_duration: Duration | None = None
    request_duration: Duration | None = None
    waiting_duration: Duration | None = None
    cache_duration: Duration | None = None
    # INP, CLS, FCP
    load_state: LoadState | None = None


class Report(Struct, frozen=True):
    name: MetricName
    value: Annotated[float, Meta(ge=0)]
    delta: float
    id: Annotated[str, Meta(min_length=1, max_length=MAX_SHORT)]
    rating: Literal["good", "needs-improvement", "poor"] | None = None  # the client's; ignored
    navigation_type: NavigationType = "navigate"
    attribution: Attribution | None = None


class Sdk(Struct, frozen=True):
    name: Short
    version: Short


class Connection(Struct, frozen=True):
    effective_type: Literal["slow-2g", "2g", "3g", "4g"] | None = None
    rtt: Annotated[int, Meta(ge=0, le=60_000)] | None = None
    save_data: bool | None = None


class Viewport(Struct, frozen=True):
    width: Annotated[int, Meta(ge=0, le=100_000)]
    height: Annotated[int, Meta(ge=0, le=100_000)]


class Beacon(Struct, frozen=True):
    v: Literal[1]
    sdk: Sdk
    url: Annotated[str, Meta(min_length=1, max_length=MAX_URL)]
    time_origin: Annotated[float, Meta(gt=0)]  # epoch ms of the page view's start
    reports: Annotated[list[Report], Meta(min_length=1, max_length=MAX_REPORTS)]
    referrer: Url = ""
    navigation_id: Short = ""
    connection: Connection | None = None
    viewport: Viewport | None = None
    sample_rate: Annotated[float, Meta(gt=0, le=1)] = 1.0
    # The route template the page's own router knows (`/products/:id`), when the site
    # tells the SDK; otherwise the workers derive one from the path.
    route: Annotated[str, Meta(min_length=1, max_length=MAX_ROUTE)] | None = None
    # The release (deploy) the page runs, as the site names it (a git SHA, a version):
    # stored as sent. Absent: the page view belongs to no release.
    release: Annotated[str, Meta(min_length=1, max_length=MAX_RELEASE)] | None = None
    # The beacon's place among those the page sent (0, 1, 2, …): a report from a higher
    # seq is a later measurement of its metric id, whenever it arrives. Absent (older
    # SDKs, other senders): 0, and arrival order decides (services/workers/recency.py).
    seq: Annotated[int, Meta(ge=0, le=MAX_SEQ)] = 0


class InvalidBeacon(ValueError):
    """Decoded, but a value breaks a rule; the message says which."""


_decoder = msgspec.json.Decoder(Beacon)
encode = msgspec.json.Encoder().encode


def decode(body: bytes) -> Beacon:
    """Parse and validate; raises msgspec.DecodeError (shape) or InvalidBeacon (values)."""
    beacon = _decoder.decode(body)
    check_values(beacon)
    # PostgreSQL text cannot hold NUL, and one such string would fail a whole batch of
    # other beacons in the worker. JSON can only carry it escaped, so the byte search
    # is a cheap guard and the walk below runs only when it hits.
    if b"\\u0000" in body:
        _reject_nul(msgspec.to_builtins(beacon), "$")
    return beacon


def _reject_nul(value: object, path: str) -> None:
    if isinstance(value, str) and "\x00" in value:
        raise InvalidBeacon(f"{path} contains a NUL character")
    if isinstance(value, dict):
        for key, item in value.items():
            _reject_nul(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _reject_nul(item, f"{path}[{index}]")


def check_values(beacon: Beacon) -> None:
    for index, report in enumerate(beacon.reports):
        limit = SPECS[Metric[report.name]].max_value
        if not report.value <= limit:
            raise InvalidBeacon(
                f"reports[{index}].value {report.value} is out of range for {report.name}"
                f" (max {limit})"
            )
        if not math.isfinite(report.delta) or abs(report.delta) > limit:
            raise InvalidBeacon(f"reports[{index}].delta out of range for {report.name}")
    _check_page_url(beacon.url)


def _check_page_url(url: str) -> None:
    """The workers key pages on this URL's host and path (page_url.py): one it cannot split
    is refused here, never answered 202 and dropped later."""
    try:
        split_page_url(url)
    except InvalidUrl as exc:
        raise InvalidBeacon(f"url {exc}") from None
    # Characters, not bytes, bound the length above; the host and path also sit in a
    # B-tree key (pages), whose rows PostgreSQL caps at ~2.7 kB. A browser's URL is ASCII
    # (percent-encoded, punycode), so bytes are what a real one measures anyway.
    if len(url.encode()) > MAX_URL:
        raise InvalidBeacon(f"url is longer than {MAX_URL} bytes in UTF-8")
