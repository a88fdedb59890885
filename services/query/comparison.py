"""A release against its baseline, from both sides' bin counts per (metric, device,
route): overall, per device class, and per route (all devices, then each) where both
sides have enough samples. The routes of all metrics are one family for
Benjamini-Hochberg; overall and per device are few and fixed in advance, so they are
tested at 5 % each (services/query/significance.py). Routes come regressions first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import msgspec

from services.contracts.metrics import DEVICE_NAMES, Device, Metric, Rating
from services.query.reads.releases import BinCount
from services.query.significance import MIN_SAMPLES, Comparison, Side, adjust, compare

METRICS = list(Metric)
# Routes first by verdict, then by how much slower.
VERDICT_ORDER = {"regressed": 0, "improved": 1, "unchanged": 2, "insufficient_data": 3}


class RouteComparison(msgspec.Struct, frozen=True):
    route: str
    device: str | None  # None: all devices of the route
    comparison: Comparison


class MetricComparison(msgspec.Struct, frozen=True):
    overall: Comparison
    devices: dict[str, Comparison]
    routes: list[RouteComparison]


def compare_sides(ours: list[BinCount], theirs: list[BinCount]) -> dict[str, MetricComparison]:
    release, baseline = group_bins(ours), group_bins(theirs)
    overall: dict[str, Comparison] = {}
    devices: dict[str, dict[str, Comparison]] = defaultdict(dict)
    routes: list[tuple[str, str, str | None, Comparison]] = []
    for metric in METRICS:
        key = (int(metric),)
        overall[metric.name] = compare(metric, side_of(release[key]), side_of(baseline[key]))
        for device in Device:
            dkey = (int(metric), int(device))
            if dkey in release or dkey in baseline:
                devices[metric.name][DEVICE_NAMES[device]] = compare(
                    metric, side_of(release[dkey]), side_of(baseline[dkey])
                )
        for route_key in sorted(k for k in release if len(k) == 3 and k[0] == int(metric)):
            _, route, device_id = route_key
            name = None if device_id == -1 else DEVICE_NAMES[Device(device_id)]
            new, old = side_of(release[route_key]), side_of(baseline[route_key])
            # Too few to judge: left out of the list unasked (most of a long tail of routes).
            if min(new.count, old.count) < MIN_SAMPLES:
                continue
            compared = compare(metric, new, old)
            if compared.verdict != "insufficient_data":
                routes.append((metric.name, route, name, compared))
    adjusted = adjust([c for *_, c in routes])
    per_metric: dict[str, list[RouteComparison]] = defaultdict(list)
    for (metric_name, route, device_name, _), comparison in zip(routes, adjusted, strict=True):
        per_metric[metric_name].append(RouteComparison(route, device_name, comparison))
    return {
        metric.name: MetricComparison(
            overall=overall[metric.name],
            devices=devices[metric.name],
            routes=sorted(per_metric[metric.name], key=_regressions_first),
        )
        for metric in METRICS
    }


class Group(msgspec.Struct):
    """One group's samples per bin, and how many of them were rated good."""

    bins: dict[int, int]
    good: int = 0


# Groups are keyed (metric,), (metric, device) or (metric, route, device or -1 for all).
Groups = defaultdict[tuple[Any, ...], Group]


def group_bins(rows: Iterable[BinCount]) -> Groups:
    """Summed at the rows' own grain (metric, route, device) first, then each of those
    into the three wider groups bin by bin: the rows are as many as a month of rollups
    gives, and this order touches each once (issue 13's latency target)."""
    groups: Groups = defaultdict(lambda: Group({}))
    for row in rows:
        group = groups[(row.metric, row.route, row.device)]
        group.bins[row.bin] = group.bins.get(row.bin, 0) + row.samples
        if row.rating == Rating.GOOD:
            group.good += row.samples
    for (metric, route, device), leaf in list(groups.items()):
        for key in ((metric,), (metric, device), (metric, route, -1)):
            wider = groups[key]
            wider.good += leaf.good
            bins = wider.bins
            for bin_index, n in leaf.bins.items():
                bins[bin_index] = bins.get(bin_index, 0) + n
    return groups


def side_of(group: Group) -> Side:
    return Side(tuple(sorted(group.bins.items())), group.good)


def _regressions_first(route: RouteComparison) -> tuple[int, float, str, str]:
    change = route.comparison.change.p75_relative or 0.0
    return (VERDICT_ORDER[route.comparison.verdict], -change, route.route, route.device or "")
