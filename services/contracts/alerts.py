"""Alert rules and webhook destinations (issue 14): their shapes, shared by the admin
service (which writes them), the CLI, and the workers (which evaluate rules and deliver).

A rule is one of three kinds, told apart by `kind`; each kind's request shape names only
its own fields, so a threshold with `silence_minutes` is a 400, not a silently ignored
field. Stored rows read back as `AlertRule` (every column, other kinds' fields None);
`spec_of` turns one back into its kind's shape. migrations/0017_alerts.sql checks the
same vocabulary and bounds.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec

Kind = Literal["threshold", "regression", "silence"]
MetricName = Literal["LCP", "INP", "CLS", "FCP", "TTFB"]  # contracts.metrics.Metric's names
Statistic = Literal["p75", "good_share"]
Comparison = Literal["above", "below"]
DeviceName = Literal["desktop", "mobile", "tablet", "other"]  # contracts.metrics.DEVICE_NAMES
DestinationFormat = Literal["generic", "slack"]

# No control characters (NUL included: PostgreSQL text cannot hold it).
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]
FilterText = Annotated[str, msgspec.Meta(min_length=1, max_length=2048, pattern=r"^[^\x00]+$")]
Browser = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[^\x00]+$")]
Country = Annotated[str, msgspec.Meta(pattern="^[A-Z]{2}$")]  # ISO 3166-1 alpha-2
# 5 minutes: a shorter window holds too few page views to judge; a week: the longest
# window the hourly rollups are kept comfortably beyond (retention_hourly_days).
WindowMinutes = Annotated[int, msgspec.Meta(ge=5, le=10_080)]
# The largest p75 a metric can have: an hour in ms (contracts.metrics.SPECS' max_value).
Threshold = Annotated[float, msgspec.Meta(ge=0, le=3_600_000)]
Samples = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
Metrics = Annotated[tuple[MetricName, ...], msgspec.Meta(min_length=1, max_length=5)]
Devices = Annotated[tuple[DeviceName, ...], msgspec.Meta(min_length=1, max_length=4)]


class RuleSpecBase(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                   tag_field="kind"):  # fmt: skip
    """What every kind has; the defaults are the quiet ones (see the migration)."""

    name: Name
    enabled: bool = True
    hysteresis_ratio: Annotated[float, msgspec.Meta(ge=0, le=0.9)] = 0.1
    resolve_after_minutes: Annotated[int, msgspec.Meta(ge=0, le=1440)] = 10
    cooldown_minutes: Annotated[int, msgspec.Meta(ge=0, le=10_080)] = 30


class ThresholdSpec(RuleSpecBase, frozen=True, kw_only=True, tag="threshold"):
    """The metric's statistic over the last window, on the filters, compared with
    `threshold` (ms, CLS unitless, a good share a fraction) once `min_samples` exist."""

    metric: MetricName
    statistic: Statistic = "p75"
    comparison: Comparison
    threshold: Threshold
    window_minutes: WindowMinutes = 60
    min_samples: Samples = 100
    route: FilterText | None = None
    device: DeviceName | None = None
    country: Country | None = None
    browser: Browser | None = None

    def __post_init__(self) -> None:
        if self.statistic == "good_share" and self.threshold > 1:
            raise ValueError("a good_share threshold is a fraction between 0 and 1")


class RegressionSpec(RuleSpecBase, frozen=True, kw_only=True, tag="regression"):
    """A release the release comparison judges `regressed`; None: any metric, any device."""

    metrics: Metrics | None = None
    devices: Devices | None = None

    def __post_init__(self) -> None:
        for name, values in (("metrics", self.metrics), ("devices", self.devices)):
            if values is not None and len(set(values)) != len(values):
                raise ValueError(f"{name} lists a value twice")


class SilenceSpec(RuleSpecBase, frozen=True, kw_only=True, tag="silence"):
    """No beacon for `silence_minutes` while the same hours of earlier weeks had some."""

    silence_minutes: WindowMinutes = 30


RuleSpec = ThresholdSpec | RegressionSpec | SilenceSpec
SPEC_FIELDS = tuple(
    dict.fromkeys(f for spec in (ThresholdSpec, RegressionSpec, SilenceSpec)
                  for f in spec.__struct_fields__)
)  # fmt: skip
# The columns a rule's spec fills, in the order `rule_columns` gives them.
RULE_COLUMNS = ("kind", *SPEC_FIELDS)


class AlertRule(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A stored rule: one row of alert_rules; the other kinds' fields are None (omitted)."""

    id: int
    project_id: int
    kind: Kind
    name: str
    enabled: bool
    hysteresis_ratio: float
    resolve_after_minutes: int
    cooldown_minutes: int
    created_at: datetime
    updated_at: datetime
    metric: MetricName | None = None
    statistic: Statistic | None = None
    comparison: Comparison | None = None
    threshold: float | None = None
    window_minutes: int | None = None
    min_samples: int | None = None
    route: str | None = None
    device: DeviceName | None = None
    country: str | None = None
    browser: str | None = None
    metrics: tuple[MetricName, ...] | None = None
    devices: tuple[DeviceName, ...] | None = None
    silence_minutes: int | None = None


def spec_fields(rule: AlertRule) -> dict[str, Any]:
    """The rule's own fields (kind included), as its request shape names them."""
    fields = msgspec.structs.asdict(rule)
    return {name: fields[name] for name in RULE_COLUMNS if fields[name] is not None}


def spec_of(rule: AlertRule) -> RuleSpec:
    spec: RuleSpec = msgspec.convert(spec_fields(rule), RuleSpec)
    return spec


def rule_columns(spec: RuleSpec) -> list[Any]:
    """Values for RULE_COLUMNS: the spec's fields, None for the other kinds'."""
    fields = msgspec.structs.asdict(spec)
    tag = type(spec).__struct_config__.tag
    values = [fields.get(name) for name in SPEC_FIELDS]
    return [tag, *(list(v) if isinstance(v, tuple) else v for v in values)]


class DestinationSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Name
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
    format: DestinationFormat = "generic"


class AlertDestination(msgspec.Struct, frozen=True, kw_only=True):
    """A stored destination as anyone may see it: the URL's scheme and host only (a
    webhook URL is often a credential), never the signing secret."""

    id: int
    project_id: int
    name: str
    url_origin: str
    format: DestinationFormat
    created_at: datetime


class CreatedDestination(msgspec.Struct, frozen=True):
    secret: str  # the only time it is shown
    destination: AlertDestination


# --- Destination URLs -------------------------------------------------------------------
# A webhook is a request our servers make to an address a user typed: without a check it
# reaches the services beside ours (the database, the metadata endpoint at 169.254.169.254).
# The admin service checks when a destination is made; the sender must check again when it
# connects, since a name can resolve elsewhere by then (DNS rebinding).
RESOLVE_TIMEOUT_S = 5.0
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class DestinationUrlError(ValueError):
    """The URL is malformed, or its host is (or resolves to) a non-public address."""


def public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Not loopback, private, link-local, multicast, unspecified or reserved, also when an
    IPv6 address carries an IPv4 one (mapped, 6to4, NAT64)."""
    if isinstance(address, ipaddress.IPv6Address):
        address = ipaddress.IPv6Address(address.packed)  # without a %zone
        if address.ipv4_mapped is not None:
            return public_address(address.ipv4_mapped)
        embedded = address.sixtofour
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
        if embedded is not None and not public_address(embedded):
            return False
    return address.is_global and not address.is_multicast


def url_host(url: str) -> tuple[str, int]:
    """The host and port an http(s) URL names, or DestinationUrlError."""
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise DestinationUrlError("the URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise DestinationUrlError(f"the URL is malformed: {exc}") from None
    if parts.scheme not in ("https", "http"):
        raise DestinationUrlError("the URL must be https:// (or http://)")
    if parts.username is not None or parts.password is not None:
        raise DestinationUrlError("the URL must not carry a user name or password")
    if not parts.hostname:
        raise DestinationUrlError("the URL names no host")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_S
        )
    except (OSError, UnicodeError, TimeoutError) as exc:
        raise DestinationUrlError(f"the host {host!r} cannot be resolved: {exc}") from None
    return [str(info[4][0]) for info in infos]


async def check_destination_url(url: str, *, allow_private: bool) -> None:
    """Refuse what is not http(s), and (unless `allow_private`) a host any of whose
    addresses is not public."""
    host, port = url_host(url)
    if allow_private:
        return
    for found in await resolve(host, port):
        if not public_address(ipaddress.ip_address(found)):
            raise DestinationUrlError(
                f"the host {host!r} resolves to {found}, which is not a public address"
                " (VITALS_ALERTS_ALLOW_PRIVATE_DESTINATIONS allows it)"
            )
