"""Pure planning: windows, buckets and which relation answers which part of a window."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from services.contracts.errors import ApiError
from services.query.buckets import buckets, choose_width
from services.query.plan import FAMILIES, Interval, choose_family, merge, plan, time_halves
from services.query.timerange import TimeRange, resolve

T0 = datetime(2025, 1, 10, tzinfo=UTC)


def at(days: int = 0, hours: int = 0, minutes: int = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours, minutes=minutes)


class TestPlan:
    def test_ragged_window_uses_every_source(self) -> None:
        """Whole days come from the daily rollup, whole hours around them from the hourly one, the rest from raw rows."""
        p = plan([Interval(at(0, 5, 17), at(3, 20, 3))], frozenset())
        assert p.daily == (Interval(at(1), at(3)),)
        assert p.hourly == (Interval(at(0, 6), at(1)), Interval(at(3), at(3, 20)))
        assert p.raw == (Interval(at(0, 5, 17), at(0, 6)), Interval(at(3, 20), at(3, 20, 3)))

    def test_pieces_tile_the_window(self) -> None:
        """The pieces never overlap and together cover exactly the window."""
        window = Interval(at(0, 5, 17), at(9, 1, 59))
        p = plan([window], frozenset())
        pieces = sorted([*p.daily, *p.hourly, *p.raw])
        assert pieces[0].start == window.start and pieces[-1].end == window.end
        assert all(a.end == b.start for a, b in itertools.pairwise(pieces))

    def test_short_window_inside_one_hour_is_raw(self) -> None:
        """A window without a whole hour reads raw rows only."""
        p = plan([Interval(at(0, 5, 10), at(0, 5, 50))], frozenset())
        assert (p.daily, p.hourly, p.raw) == ((), (), (Interval(at(0, 5, 10), at(0, 5, 50)),))

    def test_slots_merge_adjacent_pieces(self) -> None:
        """Hourly slots over whole hours become one hourly interval, not one per slot."""
        slots = [Interval(at(0, h), at(0, h + 1)) for h in range(3, 9)]
        p = plan(slots, frozenset())
        assert p.hourly == (Interval(at(0, 3), at(0, 9)),) and not p.raw and not p.daily
        assert p.boundaries == tuple(s.start for s in slots)

    def test_filters_choose_the_family(self) -> None:
        """Dimensions no rollup carries send the query to raw rows; those a rollup carries keep it there."""
        assert choose_family(frozenset({"browser", "route", "os"})) is None
        assert choose_family(frozenset({"device"})) is not None
        assert choose_family(frozenset({"route"})) is not None
        assert plan([Interval(at(0), at(5))], frozenset({"connection"})).family is None

    def test_families_are_ordered_smallest_first(self) -> None:
        """An unfiltered query is answered by the first (smallest) family."""
        assert choose_family(frozenset()) is FAMILIES[0]

    def test_raw_only_plan(self) -> None:
        """use_rollups=False reads the whole window from raw rows (the comparison baseline)."""
        p = plan([Interval(at(0), at(5))], frozenset(), use_rollups=False)
        assert (p.family, p.raw) == (None, (Interval(at(0), at(5)),))


class TestTimeRange:
    def test_long_relative_range_ends_at_the_next_hour(self) -> None:
        """`last 7d` ends at the next whole hour and starts seven days before."""
        r = resolve(
            start=None,
            end=None,
            relative="last 7d",
            tz="UTC",
            now=at(0, 5, 17),
            default=timedelta(days=1),
        )
        assert (r.start, r.end) == (at(-7, 6), at(0, 6))

    def test_short_relative_range_ends_at_the_next_minute(self) -> None:
        """`30m` ends at the next whole minute."""
        now = at(0, 5, 17) + timedelta(seconds=12)
        r = resolve(
            start=None, end=None, relative="30m", tz="UTC", now=now, default=timedelta(days=1)
        )
        assert (r.start, r.end) == (at(0, 4, 48), at(0, 5, 18))

    def test_from_alone_runs_until_now(self) -> None:
        """`from` without `to` ends at now rounded up to the minute, so repeats share a cache entry."""
        now = at(2, 5, 17) + timedelta(seconds=3)
        r = resolve(
            start="2025-01-10T00:00:00Z",
            end=None,
            relative=None,
            tz="UTC",
            now=now,
            default=timedelta(days=1),
        )
        assert (r.start, r.end) == (at(0), at(2, 5, 18))

    def test_offsetless_timestamps_are_read_in_the_zone(self) -> None:
        """A date without offset is local midnight in tz."""
        r = resolve(
            start="2025-01-10",
            end="2025-01-11",
            relative=None,
            tz="Asia/Kolkata",
            now=at(5),
            default=timedelta(days=1),
        )
        assert r.start == datetime(2025, 1, 9, 18, 30, tzinfo=UTC)

    def test_previous_period_has_equal_length(self) -> None:
        """The comparison period ends where the window starts and is as long."""
        r = TimeRange(at(3), at(10))
        assert (r.previous().start, r.previous().end) == (at(-4), at(3))

    @pytest.mark.parametrize("text", ["last 7d", "7d", "LAST_24H", "last-30m", "2w"])
    def test_relative_forms(self, text: str) -> None:
        """Relative ranges accept an optional `last` and units m, h, d, w in any case."""
        resolve(start=None, end=None, relative=text, tz="UTC", now=at(0), default=timedelta(days=1))

    def test_unknown_zone(self) -> None:
        """A time zone outside the IANA database is refused."""
        with pytest.raises(ApiError):
            resolve(
                start=None,
                end=None,
                relative=None,
                tz="Europe/Atlantis",
                now=at(0),
                default=timedelta(days=1),
            )


class TestBuckets:
    def test_dst_day_is_23_hours(self) -> None:
        """A local day across the spring DST change is 23 hours long."""
        r = TimeRange(
            datetime(2025, 3, 9, 5, tzinfo=UTC),
            datetime(2025, 3, 10, 4, tzinfo=UTC),
            "America/New_York",
        )
        (day,) = buckets(r, "1d")
        assert day.end - day.start == timedelta(hours=23)

    def test_weeks_start_on_monday(self) -> None:
        """Weekly buckets start at local Monday midnight."""
        r = TimeRange(
            datetime(2025, 3, 5, tzinfo=UTC), datetime(2025, 3, 20, tzinfo=UTC), "Europe/Berlin"
        )
        assert all(b.start.astimezone(r.zone).weekday() == 0 for b in buckets(r, "1w"))

    def test_half_hour_zone_hours(self) -> None:
        """Hourly buckets in a half-hour zone start at local whole hours."""
        r = TimeRange(
            datetime(2025, 3, 5, tzinfo=UTC), datetime(2025, 3, 5, 3, tzinfo=UTC), "Asia/Kolkata"
        )
        starts = [b.start.astimezone(r.zone).minute for b in buckets(r, "1h")]
        assert set(starts) == {0} and len(starts) == 4

    def test_first_and_last_buckets_are_clipped(self) -> None:
        """The parts inside the window of the first and last bucket start and end at the window's edges."""
        r = TimeRange(at(0, 1, 20), at(0, 4, 10))
        chart = buckets(r, "1h")
        assert (chart[0].inside.start, chart[-1].inside.end) == (r.start, r.end)
        assert (chart[0].start, chart[-1].end) == (at(0, 1), at(0, 5))

    def test_derived_width(self) -> None:
        """Without a width, the smallest that keeps the chart at 400 buckets or fewer is chosen, in whole hours past two days."""
        assert choose_width(None, TimeRange(at(0), at(1))) == "5m"
        assert choose_width(None, TimeRange(at(0), at(7))) == "1h"
        assert choose_width(None, TimeRange(at(0), at(365))) == "1d"


class TestTimeHalves:
    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (datetime(2025, 3, 1, 9, 17, tzinfo=UTC), datetime(2025, 3, 31, 9, 5, tzinfo=UTC)),
            (datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 9, tzinfo=UTC)),
        ],
    )
    def test_the_halves_read_every_interval_once_and_cut_at_a_day(
        self, start: datetime, end: datetime
    ) -> None:
        """Split in time, a plan's two halves hold exactly its intervals between them, the first all before the second, each with daily rows, the slots unchanged."""
        whole = plan(
            [Interval(start, start + (end - start) / 2), Interval(start + (end - start) / 2, end)],
            frozenset({"route"}),
        )
        halves = time_halves(whole, min_days=8)
        assert halves is not None
        first, second = halves
        for source in ("daily", "hourly", "raw"):
            assert merge([*getattr(first, source), *getattr(second, source)]) == getattr(
                whole, source
            )
        first_ends = max(i.end for s in ("daily", "hourly", "raw") for i in getattr(first, s))
        second_starts = min(i.start for s in ("daily", "hourly", "raw") for i in getattr(second, s))
        assert first_ends <= second_starts
        assert first.daily and second.daily
        assert first.boundaries == second.boundaries == whole.boundaries

    def test_a_short_window_is_not_split(self) -> None:
        """Under the minimum of whole days there is nothing worth two connections."""
        start = datetime(2025, 3, 1, 6, tzinfo=UTC)
        assert (
            time_halves(plan([Interval(start, start + timedelta(days=7))], frozenset()), min_days=8)
            is None
        )
