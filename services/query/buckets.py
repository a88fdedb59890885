"""Time-series buckets aligned to the wall clock of the request's zone.

A bucket of `1d` is a local calendar day (23 or 25 hours across a DST change), `1w` a
local ISO week from Monday, `6h` starts at local 00:00, 06:00, ...; wall-clock times a
DST change skips or repeats collapse into one instant, so buckets never overlap. The
first and last buckets are clipped to the window: they count only samples inside it.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import msgspec

from services.query.errors import invalid_parameter
from services.query.plan import Interval
from services.query.timerange import TimeRange

WIDTHS = {
    "1m": timedelta(minutes=1), "5m": timedelta(minutes=5), "15m": timedelta(minutes=15),
    "30m": timedelta(minutes=30), "1h": timedelta(hours=1), "3h": timedelta(hours=3),
    "6h": timedelta(hours=6), "12h": timedelta(hours=12), "1d": timedelta(days=1),
    "1w": timedelta(weeks=1),
}  # fmt: skip
MAX_BUCKETS = 1500  # a wide chart's pixels; more is a mistake, not a view
AUTO_POINTS = 400  # derived widths stay at or under this many buckets
# Past two days a derived width is whole hours, so the hourly rollup answers it rather
# than raw rows (a 7-day chart of 30-minute buckets reads 1.4 M raw rows on a busy site).
SUB_HOUR_LIMIT = timedelta(days=2)
# Past two days a derived width is whole hours, so the hourly rollup answers it rather
# than raw rows (a 7-day chart of 30-minute buckets reads 1.4 M raw rows on a busy site).
SUB_HOUR_LIMIT = timedelta(days=2)
_DAY = timedelta(days=1)
_HOUR = timedelta(hours=1)


class Bucket(msgspec.Struct, frozen=True):
    start: datetime  # aligned (may precede the window for the first bucket)
    end: datetime  # aligned (may follow the window for the last bucket)
    inside: Interval  # the part of the bucket inside the window


def choose_width(name: str | None, time_range: TimeRange) -> str:
    if name is None:
        fitting = (
            n
            for n, w in WIDTHS.items()
            if time_range.length / w <= AUTO_POINTS
            and (w >= _HOUR or time_range.length <= SUB_HOUR_LIMIT)
        )
        return next(fitting, "1w")
    if name not in WIDTHS:
        raise invalid_parameter(
            "bucket", f"unknown width {name!r}; expected one of {', '.join(WIDTHS)}"
        )
    count = time_range.length / WIDTHS[name]
    if count > MAX_BUCKETS:
        raise invalid_parameter(
            "bucket", f"{name} makes {int(count)} buckets over this range; at most {MAX_BUCKETS}"
        )
    return name


def buckets(time_range: TimeRange, width_name: str) -> list[Bucket]:
    width = WIDTHS[width_name]
    zone = time_range.zone
    edges = _edges(time_range, width, zone)
    result = []
    for start, end in pairwise(edges):
        inside = Interval(max(start, time_range.start), min(end, time_range.end))
        if inside.start < inside.end:
            result.append(Bucket(start, end, inside))
    return result


def _edges(time_range: TimeRange, width: timedelta, zone: ZoneInfo) -> list[datetime]:
    """Every aligned boundary from the one at or before the start to the one at or after
    the end."""
    first_day = time_range.start.astimezone(zone).date() - _DAY
    last_day = time_range.end.astimezone(zone).date() + _DAY
    if width >= _DAY:
        step = width.days
        day = first_day - timedelta(days=first_day.weekday() if step == 7 else 0)
        walls = []
        while day <= last_day + timedelta(days=step):
            walls.append(datetime.combine(day, time(0)))
            day += timedelta(days=step)
    else:
        per_day = _DAY // width
        walls = [
            datetime.combine(first_day + timedelta(days=d), time(0)) + k * width
            for d in range((last_day - first_day).days + 1)
            for k in range(per_day)
        ]
    instants = sorted({_instant(wall, zone) for wall in walls})
    before = [i for i in instants if i <= time_range.start]
    after = [i for i in instants if i >= time_range.end]
    middle = [i for i in instants if time_range.start < i < time_range.end]
    return [before[-1], *middle, after[0]]


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=zone).astimezone(UTC)
