"""Filters: which page views a query counts, by the dimensions the raw rows carry.

Several values of one dimension are alternatives (OR); dimensions combine with AND.
Values are kept sorted and unique so equal filters make equal cache keys.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from services.contracts.metrics import DEVICE_NAMES, NAVIGATION_TYPES, Device
from services.query.errors import invalid_parameter

Dimension = Literal[
    "route", "device", "browser", "os", "country", "connection", "navigation_type",
    "release", "host", "path",
]  # fmt: skip
# What a request may filter or break down by; host and path serve the CrUX record's
# origin / url and are not offered as filters.
PUBLIC_DIMENSIONS: tuple[Dimension, ...] = (
    "route", "device", "browser", "os", "country", "connection", "navigation_type", "release",
)  # fmt: skip
PAGE_DIMENSIONS: frozenset[Dimension] = frozenset({"route", "host", "path"})
MAX_VALUES = 50
MAX_VALUE_LENGTH = 2048
DEVICE_IDS = {name: int(device) for device, name in DEVICE_NAMES.items()}
NAVIGATION_IDS = {name: index for index, name in enumerate(NAVIGATION_TYPES)}


class Filters(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    route: tuple[str, ...] = ()
    device: tuple[int, ...] = ()  # contracts.metrics.Device
    browser: tuple[str, ...] = ()
    os: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    connection: tuple[str, ...] = ()
    navigation_type: tuple[int, ...] = ()  # index into NAVIGATION_TYPES
    release: tuple[str, ...] = ()
    host: tuple[str, ...] = ()
    path: tuple[str, ...] = ()

    def active(self) -> frozenset[Dimension]:
        return frozenset(name for name in self.__struct_fields__ if getattr(self, name))  # type: ignore[misc]

    def values(self, dimension: Dimension) -> tuple[str, ...] | tuple[int, ...]:
        values: tuple[str, ...] | tuple[int, ...] = getattr(self, dimension)
        return values

    def described(self) -> dict[str, list[str]]:
        """The filters as a response echoes them: names, not ids."""
        described: dict[str, list[str]] = {}
        for name in self.active():
            values = self.values(name)
            if name == "device":
                described[name] = [DEVICE_NAMES[Device(int(v))] for v in values]
            elif name == "navigation_type":
                described[name] = [NAVIGATION_TYPES[int(v)] for v in values]
            else:
                described[name] = [str(v) for v in values]
        return dict(sorted(described.items()))


def _texts(name: str, raw: list[str] | None, *, split: bool = True) -> tuple[str, ...]:
    if not raw:
        return ()
    parts = (part.strip() for item in raw for part in (item.split(",") if split else [item]))
    values = [part for part in parts if part]  # an empty value means no filter
    if len(values) > MAX_VALUES:
        raise invalid_parameter(name, f"at most {MAX_VALUES} values")
    if any(len(value) > MAX_VALUE_LENGTH for value in values):
        raise invalid_parameter(name, f"values are at most {MAX_VALUE_LENGTH} characters")
    if any("\x00" in value for value in values):
        raise invalid_parameter(name, "values must not contain NUL characters")
    return tuple(sorted(set(values)))


def _names(name: str, raw: list[str] | None, ids: dict[str, int]) -> tuple[int, ...]:
    chosen = []
    for value in _texts(name, raw):
        if value.lower() not in ids:
            raise invalid_parameter(
                name, f"unknown value {value!r}; expected one of {', '.join(ids)}"
            )
        chosen.append(ids[value.lower()])
    return tuple(sorted(set(chosen)))


def parse_filters(
    *,
    route: list[str] | None = None,
    device: list[str] | None = None,
    browser: list[str] | None = None,
    os: list[str] | None = None,
    country: list[str] | None = None,
    connection: list[str] | None = None,
    navigation_type: list[str] | None = None,
    release: list[str] | None = None,
) -> Filters:
    """Filters from query parameters: repeat a parameter for several values; every
    dimension but route also takes a comma-separated list (routes may contain commas)."""
    return Filters(
        route=_texts("route", route, split=False),
        device=_names("device", device, DEVICE_IDS),
        browser=_texts("browser", browser),
        os=_texts("os", os),
        country=tuple(sorted({c.upper() for c in _texts("country", country)})),
        connection=_texts("connection", connection),
        navigation_type=_names("navigation_type", navigation_type, NAVIGATION_IDS),
        # Release names may contain commas (they are the site's own): repeat the parameter.
        release=_texts("release", release, split=False),
    )
