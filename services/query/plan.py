"""Which relation answers which part of a window: the rollup choice.

A query's window is cut into slots (one for a summary, one per bucket for a series).
Inside each slot, whole UTC days come from a daily rollup, whole UTC hours from an
hourly one, and only the ragged edges from raw rows; adjacent pieces of one source
merge. Every rollup row then lies inside exactly one slot, so summing rollup rows and
raw rows gives the same counts as raw rows alone.

A rollup family can answer a query only if its rows carry every dimension the query
filters or groups by; the smallest family that can is chosen. When none can, the whole
window comes from raw rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import msgspec

from services.query.filters import PAGE_DIMENSIONS, Dimension
from services.query.timerange import ceil_to, floor_to

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


class Family(msgspec.Struct, frozen=True):
    """An hourly and a daily rollup with the same key columns."""

    name: str
    hourly: str
    daily: str
    columns: frozenset[str]  # dimension columns; page_id also answers route, host and path

    def answers(self, dimensions: frozenset[Dimension]) -> bool:
        return all(
            d in self.columns or (d in PAGE_DIMENSIONS and "page_id" in self.columns)
            for d in dimensions
        )


RAW_TABLE = "vitals"
RAW_COLUMNS = frozenset(
    {"page_id", "device", "browser", "os", "country", "connection", "navigation_type", "release"}
)
# The rollups (migrations 0003 and 0006), smallest first: the first family that answers
# a query is the cheapest to read. Rows a day on a site of 200,000 page views a day: about
# 1,500 totals, 5,000 per device, 100,000 per route, 330,000 per client, 500,000 per page.
TOTALS = Family("totals", "vitals_totals_hourly", "vitals_totals_daily", frozenset())
DEVICES = Family("devices", "vitals_device_hourly", "vitals_device_daily", frozenset({"device"}))
# Releases are kept here (migration 0013 says why), so a release's views and its
# comparison read this family.
ROUTES = Family(
    "routes", "vitals_route_hourly", "vitals_route_daily",
    frozenset({"route", "device", "release"}),
)  # fmt: skip
CLIENTS = Family(
    "clients", "vitals_client_hourly", "vitals_client_daily",
    frozenset({"device", "browser", "country"}),
)  # fmt: skip
PAGES = Family("pages", "vitals_hourly", "vitals_daily", frozenset({"page_id", "device"}))
FAMILIES: tuple[Family, ...] = (TOTALS, DEVICES, ROUTES, CLIENTS, PAGES)


class Interval(NamedTuple):
    start: datetime
    end: datetime


class Plan(msgspec.Struct, frozen=True):
    boundaries: tuple[datetime, ...]  # slot starts; slot i (1-based) ends at the next one
    family: Family | None
    daily: tuple[Interval, ...] = ()
    hourly: tuple[Interval, ...] = ()
    raw: tuple[Interval, ...] = ()

    def aligned_relation(self) -> str | None:
        """The rollup whose buckets are exactly the slots, one each, if there is one."""
        if self.family is None or self.raw or (self.daily and self.hourly):
            return None
        intervals, width = (self.hourly, HOUR) if self.hourly else (self.daily, DAY)
        if len(intervals) != 1 or (intervals[0].end - intervals[0].start) / width != len(
            self.boundaries
        ):
            return None
        return self.family.hourly if self.hourly else self.family.daily


def time_halves(query_plan: Plan, min_days: int) -> tuple[Plan, Plan] | None:
    """The plan's sources cut in two at the midnight that halves its whole days (daily
    rollup rows are the bulk of a long window's rows; hourly and raw edges go with the half
    they fall in), or None when it reads fewer than `min_days` whole days. Each half keeps
    the slots, so a row's slot is the same in either."""
    days = sum((i.end - i.start) // DAY for i in query_plan.daily)
    if days < min_days:
        return None
    cut = _day_after(query_plan.daily, days // 2)
    before, after = [], []
    for source in (query_plan.daily, query_plan.hourly, query_plan.raw):
        before.append(tuple(_clipped(source, end=cut)))
        after.append(tuple(_clipped(source, start=cut)))
    first = Plan(query_plan.boundaries, query_plan.family, *before)
    second = Plan(query_plan.boundaries, query_plan.family, *after)
    return first, second


def _day_after(daily: tuple[Interval, ...], days: int) -> datetime:
    """The instant `days` whole days into the daily intervals, counted in order."""
    for interval in daily:
        length = (interval.end - interval.start) // DAY
        if days < length:
            return interval.start + days * DAY
        days -= length
    return daily[-1].end


def _clipped(
    intervals: tuple[Interval, ...], start: datetime = EARLIEST, end: datetime = LATEST
) -> list[Interval]:
    clipped = (Interval(max(i.start, start), min(i.end, end)) for i in intervals)
    return [i for i in clipped if i.start < i.end]


def choose_family(dimensions: frozenset[Dimension]) -> Family | None:
    return next((f for f in FAMILIES if f.answers(dimensions)), None)


def plan(
    slots: list[Interval], dimensions: frozenset[Dimension], *, use_rollups: bool = True
) -> Plan:
    """`slots` are consecutive; `use_rollups=False` reads raw rows only (for comparisons)."""
    family = choose_family(dimensions) if use_rollups else None
    daily: list[Interval] = []
    hourly: list[Interval] = []
    raw: list[Interval] = []
    for slot in slots:
        if family is None:
            raw.append(slot)
            continue
        first_hour, last_hour = ceil_to(slot.start, HOUR), floor_to(slot.end, HOUR)
        if first_hour >= last_hour:
            raw.append(slot)
            continue
        raw += [Interval(slot.start, first_hour), Interval(last_hour, slot.end)]
        first_day, last_day = ceil_to(first_hour, DAY), floor_to(last_hour, DAY)
        if first_day >= last_day:
            hourly.append(Interval(first_hour, last_hour))
            continue
        hourly += [Interval(first_hour, first_day), Interval(last_day, last_hour)]
        daily.append(Interval(first_day, last_day))
    return Plan(
        boundaries=tuple(slot.start for slot in slots),
        family=family,
        daily=merge(daily),
        hourly=merge(hourly),
        raw=merge(raw),
    )


def merge(intervals: list[Interval]) -> tuple[Interval, ...]:
    """Sorted, without empty intervals, adjacent ones joined."""
    merged: list[Interval] = []
    for interval in sorted(i for i in intervals if i.start < i.end):
        if merged and merged[-1].end == interval.start:
            merged[-1] = Interval(merged[-1].start, interval.end)
        else:
            merged.append(interval)
    return tuple(merged)
