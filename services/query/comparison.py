"""A release against its baseline, from both sides' bin counts per group (metric, device,
route; summed in SQL, reads/releases.py): overall, per device class, and per route (all
devices, then each) where both sides have enough samples. The routes of all metrics are one
family for Benjamini-Hochberg; overall and per device are few and fixed in advance, so
they are tested at 5 % each (services/query/significance.py). Routes come regressions first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import msgspec

from services.contracts.metrics import DEVICE_NAMES, Device, Metric
from services.query.reads.releases import GroupBins
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


# A side's groups, keyed (metric,), (metric, device) or (metric, route, device or -1 for
# all of the route's devices); a group nobody sent is no key.
Groups = dict[tuple[Any, ...], Side]
EMPTY = Side((), 0)


def grouped(rows: Iterable[GroupBins]) -> Groups:
    groups: Groups = {}
    for row in rows:
        if row.route is None:
            key: tuple[Any, ...] = (row.metric,) if row.device is None else (row.metric, row.device)
        else:
            key = (row.metric, row.route, -1 if row.device is None else row.device)
        groups[key] = Side(tuple(zip(row.bins, row.counts, strict=True)), row.good)
    return groups


def compare_sides(release: Groups, baseline: Groups) -> dict[str, MetricComparison]:
    overall: dict[str, Comparison] = {}
    devices: dict[str, dict[str, Comparison]] = defaultdict(dict)
    routes: list[tuple[str, str, str | None, Comparison]] = []
    for metric in METRICS:
        key = (int(metric),)
        overall[metric.name] = compare(metric, _side(release, key), _side(baseline, key))
        for device in Device:
            dkey = (int(metric), int(device))
            if dkey in release or dkey in baseline:
                devices[metric.name][DEVICE_NAMES[device]] = compare(
                    metric, _side(release, dkey), _side(baseline, dkey)
                )
        for route_key in sorted(k for k in release if len(k) == 3 and k[0] == int(metric)):
            _, route, device_id = route_key
            name = None if device_id == -1 else DEVICE_NAMES[Device(device_id)]
            new, old = release[route_key], _side(baseline, route_key)
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


def _side(groups: Groups, key: tuple[Any, ...]) -> Side:
    return groups.get(key, EMPTY)


def _regressions_first(route: RouteComparison) -> tuple[int, float, str, str]:
    change = route.comparison.change.p75_relative or 0.0
    return (VERDICT_ORDER[route.comparison.verdict], -change, route.route, route.device or "")
