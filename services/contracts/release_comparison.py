"""A release against its baseline, from both sides' bin counts per group (metric, device,
route; summed in SQL, below): overall, per device class, and per route (all
devices, then each) where both sides have enough samples. The routes of all metrics are one
family for Benjamini-Hochberg; overall and per device are few and fixed in advance, so
they are tested at 5 % each (significance.py). Routes come regressions first.

Shared by the query service (the comparison view, the budget check) and the workers
(regression alerts), so both judge a release alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import chain
from typing import Any

import msgspec
import numpy as np

from services.contracts.database import Connection, Pool
from services.contracts.metrics import DEVICE_NAMES, Device, Metric, Rating
from services.contracts.significance import MIN_SAMPLES, Comparison, Side, adjust, compare

METRICS = list(Metric)
METRIC_IDS = [int(m) for m in Metric]
# A release's own samples: one range of the release rollup's key (migration 0016), summed
# over all its time already.
RELEASE_SOURCE = """
    SELECT metric, route, device, bin, rating, samples FROM vitals_release_routes
    WHERE project_id = $1 AND release = $3 AND metric = ANY($2::smallint[])"""
# A side's samples per (metric, route, device), each group's bins and counts as arrays:
# a few hundred rows instead of one per bin and rating (~70,000 for a release of three days
# on the 30-day benchmark), which cost more to decode than to sum. A bin may come twice
# (once per rating); `grouped` sums them, and makes the wider groups. Summing the wider
# groups in SQL too (GROUPING SETS) sorted ~100,000 rows: ten times slower.
GROUPED = f"""
SELECT metric, route, device, array_agg(bin) AS bins, array_agg(samples) AS counts,
       coalesce(sum(samples) FILTER (WHERE rating = {int(Rating.GOOD)}), 0)::bigint AS good
FROM ({{source}}
) AS s
GROUP BY metric, route, device
"""
# Routes first by verdict, then by how much slower.
VERDICT_ORDER = {"regressed": 0, "improved": 1, "unchanged": 2, "insufficient_data": 3}


class GroupBins(msgspec.Struct, frozen=True, gc=False):
    """One (metric, route, device)'s samples: bins in any order, a bin possibly more than
    once, the count of each entry, and how many samples were rated good."""

    metric: int
    route: str
    device: int
    bins: list[int]
    counts: list[int]
    good: int


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
EMPTY = Side((), (), 0)


def grouped(rows: Sequence[GroupBins]) -> Groups:
    """Each (metric, route, device) of the rows, and the wider groups they make up: per
    metric, per (metric, device) and per (metric, route). Summed as one matrix of samples
    (group × distinct bin) with numpy: a month's release holds ~70,000 bin counts, which
    dict arithmetic in Python took ~100 ms to add up four ways."""
    if not rows:
        return {}
    sizes = np.fromiter((len(r.bins) for r in rows), dtype=np.int64, count=len(rows))
    bins = np.fromiter(chain.from_iterable(r.bins for r in rows), np.int64, int(sizes.sum()))
    counts = np.fromiter(chain.from_iterable(r.counts for r in rows), np.int64, len(bins))
    distinct, column = np.unique(bins, return_inverse=True)
    keys: list[tuple[Any, ...]] = []
    index: dict[tuple[Any, ...], int] = {}
    good: list[int] = []
    # Every leaf adds to four groups: itself and the three wider ones.
    member_of = np.empty((len(rows), 4), dtype=np.int64)
    for leaf, row in enumerate(rows):
        for slot, key in enumerate(
            ((row.metric, row.route, row.device), (row.metric, row.route, -1),
             (row.metric, row.device), (row.metric,))
        ):  # fmt: skip
            at = index.get(key)
            if at is None:
                at = index[key] = len(keys)
                keys.append(key)
                good.append(0)
            good[at] += row.good
            member_of[leaf, slot] = at
    width = len(distinct)
    leaf_of_entry = np.repeat(np.arange(len(rows)), sizes)
    cells = member_of[leaf_of_entry] * width + column[:, None]
    matrix = np.bincount(
        cells.ravel(), weights=np.repeat(counts, 4), minlength=len(keys) * width
    ).reshape(len(keys), width)
    # The nonzero cells, row by row: each group's bins ascending, converted in one go.
    group_of, cell = np.nonzero(matrix)
    held_bins = distinct[cell].tolist()
    held_counts = matrix[group_of, cell].astype(np.int64).tolist()
    ends = np.searchsorted(group_of, np.arange(1, len(keys) + 1)).tolist()
    groups: Groups = {}
    start = 0
    for at, key in enumerate(keys):
        end = ends[at]
        groups[key] = Side(tuple(held_bins[start:end]), tuple(held_counts[start:end]), good[at])
        start = end
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


async def release_groups(db: Connection | Pool, project_id: int, release: str) -> Groups:
    """The samples of every page view that named `release`, per group."""
    statement = GROUPED.format(source=RELEASE_SOURCE)
    rows = await db.fetch(statement, project_id, METRIC_IDS, release)
    return grouped([GroupBins(*row) for row in rows])
