"""An end-to-end run cut into equal stretches of its sending window, so a long run shows
whether it held: reports stored per second, 202→row lag (the rollups' freshness too: the
workers write them in the raw rows' transaction), queue depth, cores the system under
test used, the summary's latency as a dashboard saw it meanwhile, and how much of ingest's
answers were slow (so a p99 over target shows as a few bad stretches or a steady tail)."""

from __future__ import annotations

import itertools
import math
from typing import Any

from bench.ingest.stats import percentile
from bench.ingest.watch import Timeline


def cut(
    sent: dict[str, Any], timeline: Timeline, cpu: list[tuple[float, float]],
    summary: list[tuple[float, float]], slice_s: float,
) -> list[dict[str, float]]:  # fmt: skip
    start = sent["started_at"]
    end = start + sent["sent_within_s"]
    slices = []
    # Whole stretches; the last one absorbs a remainder (a float a hair over whole would
    # otherwise make an empty last stretch).
    count = max(1, round((end - start) / slice_s))
    edges = [start + i * slice_s for i in range(count)] + [end]
    for low, high in itertools.pairwise(edges):
        lags = [
            timeline.seen.get(seq, math.inf) - at for seq, at in sent["tagged"] if low <= at < high
        ]
        asked = [seconds for at, seconds in summary if low <= at < high]
        # The load generator's per-second counts, by due time: [second, answered, slow, max].
        answered = [c for c in sent["seconds"] if low - start <= c[0] < high - start]
        slices.append({
            "from_s": low - start,
            "reports_per_s": (at(timeline.stored, high) - at(timeline.stored, low)) / (high - low),
            "lag_p95_s": percentile(lags, 0.95),
            "queue_max": max((d for t, d in timeline.depth if low <= t < high), default=0),
            "cores_used": (at(cpu, high) - at(cpu, low)) / (high - low),
            "summary_p95_ms": percentile(asked, 0.95) * 1000,
            "ingest_slow_pct": 100 * sum(c[2] for c in answered)
            / max(1, sum(c[1] for c in answered)),
            "ingest_max_ms": max((c[3] for c in answered), default=math.nan) * 1000,
        })  # fmt: skip
    return slices


def render(slices: list[dict[str, float]]) -> list[str]:
    lines = [
        "   from s  reports/s  202→row p95 s  queue max  cores  summary p95 ms"
        "  ingest >250 ms %  ingest max ms"
    ]
    for s in slices:
        lines.append(
            f"  {s['from_s']:7.0f}  {s['reports_per_s']:9,.0f}  {s['lag_p95_s']:13.2f}"
            f"  {s['queue_max']:9.0f}  {s['cores_used']:5.2f}  {s['summary_p95_ms']:14.1f}"
            f"  {s['ingest_slow_pct']:16.2f}  {s['ingest_max_ms']:13.0f}"
        )
    return lines


def at(samples: list[tuple[float, float]] | list[tuple[float, int]], when: float) -> float:
    """The last sample taken at or before `when` (the first one if none was)."""
    before = [value for t, value in samples if t <= when]
    return before[-1] if before else samples[0][1]
