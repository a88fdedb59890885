"""The time window a query covers: absolute (`from`/`to`) or relative (`range=last 7d`).

Windows are half-open, [start, end), held as UTC instants with the IANA zone their
buckets align to. A relative window ends at the next whole minute (shorter than a day)
or the next whole hour (a day or longer) after now: it always includes everything
received so far, and identical requests within that minute or hour share a cache entry.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import msgspec

from services.query.errors import invalid_parameter

MAX_LENGTH = timedelta(days=400)  # a year and its neighbours for year-over-year views
# Bounds that keep every derived instant (previous period, bucket edges) representable.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1),
         "w": timedelta(weeks=1)}  # fmt: skip
_RELATIVE = re.compile(r"(?:last[\s_-]*)?(\d{1,6})\s*([mhdw])", re.IGNORECASE)
_MINUTE = timedelta(minutes=1)
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)


class TimeRange(msgspec.Struct, frozen=True):
    start: datetime
    end: datetime
    tz: str = "UTC"

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.tz)

    def previous(self) -> TimeRange:
        """The period of equal length just before this one."""
        return TimeRange(self.start - self.length, self.start, self.tz)


def floor_to(instant: datetime, step: timedelta) -> datetime:
    """The UTC instant rounded down to a multiple of `step` (an hour, a day) since the epoch."""
    epoch_s = (instant - EARLIEST) // timedelta(microseconds=1)
    step_us = step // timedelta(microseconds=1)
    return EARLIEST + timedelta(microseconds=epoch_s - epoch_s % step_us)


def ceil_to(instant: datetime, step: timedelta) -> datetime:
    floor = floor_to(instant, step)
    return floor if floor == instant else floor + step


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def parse_zone(name: str) -> str:
    if name not in _zone_names():
        raise invalid_parameter("tz", f"unknown time zone {name!r}; use an IANA name")
    return name


def parse_relative(text: str) -> timedelta:
    match = _RELATIVE.fullmatch(text.strip())
    if match is None:
        raise invalid_parameter(
            "range", f"{text!r} is not a relative range like 'last 7d', '24h', '30m' or '2w'"
        )
    length = int(match[1]) * UNITS[match[2].lower()]
    _check_length(length, "range")
    return length


def parse_instant(text: str, zone: str, name: str) -> datetime:
    """An ISO 8601 timestamp or date; without an offset it is read in the request's zone."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise invalid_parameter(
            name, f"{text!r} is not an ISO 8601 timestamp (e.g. 2025-05-01T00:00:00Z)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zoneinfo.ZoneInfo(zone))
    if not EARLIEST <= value <= LATEST:
        raise invalid_parameter(name, f"must lie between {EARLIEST.date()} and {LATEST.date()}")
    return value.astimezone(UTC)


def resolve(
    *,
    start: str | None,
    end: str | None,
    relative: str | None,
    tz: str,
    now: datetime,
    default: timedelta,
) -> TimeRange:
    zone = parse_zone(tz)
    if relative is not None and (start is not None or end is not None):
        raise invalid_parameter("range", "give either range or from/to, not both")
    if start is None:
        if end is not None:
            raise invalid_parameter("to", "needs a from")
        length = default if relative is None else parse_relative(relative)
        grain = _HOUR if length >= _DAY else _MINUTE
        finish = ceil_to(now, grain)
        return TimeRange(finish - length, finish, zone)
    begin = parse_instant(start, zone, "from")
    # Until now, rounded up as relative ranges are, so repeated requests share a cache entry.
    finish = ceil_to(now, _MINUTE) if end is None else parse_instant(end, zone, "to")
    if begin >= finish:
        raise invalid_parameter("from", "must be earlier than to")
    _check_length(finish - begin, "to")
    return TimeRange(begin, finish, zone)


def _check_length(length: timedelta, name: str) -> None:
    if length <= timedelta(0):
        raise invalid_parameter(name, "the range must not be empty")
    if length > MAX_LENGTH:
        raise invalid_parameter(name, f"the range is longer than {MAX_LENGTH.days} days")
