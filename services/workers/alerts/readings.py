"""What each kind of rule reads, from the rollups, and what it makes of it (a Reading).

- **threshold**: the metric's bins over the window from the hourly rollup family that
  keeps the rule's filters (none: totals; device: device; route: route; browser or
  country: client), so a rule costs one index range scan. The window is whole hours of
  that rollup: a 60-minute window reads the current hour and the one before (60 to 120
  minutes of page views). Route together with browser or country is in no family: those
  rules read raw rows of the window (exact minutes), joined to their pages.
- **silence**: whether any page view started in the last `silence_minutes` (one probe of
  the raw table's key), and what the same span held in each of the four weeks before,
  from the hourly totals. It fires only where earlier weeks had traffic then.
- **regression**: the project's newest release against the one first seen before it,
  judged as the release comparison judges it (contracts/release_comparison.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.contracts.alerts import AlertRule
from services.contracts.database import Connection
from services.contracts.metrics import DEVICE_NAMES, Metric, Rating
from services.contracts.release_comparison import compare_sides, release_groups
from services.contracts.significance import Comparison, Side, summarize
from services.workers.alerts.transitions import Reading

DEVICE_IDS = {name: int(device) for device, name in DEVICE_NAMES.items()}
HOUR = timedelta(hours=1)
WEEK = timedelta(days=7)
# The Core Web Vitals: what a regression rule watches when it names no metrics.
CORE_WEB_VITALS = ("LCP", "INP", "CLS")
# A span of earlier weeks with fewer page views than this was quiet: silence is expected.
SILENCE_MIN_REPORTS = 20
SILENCE_WEEKS = 4

_BINS = """
SELECT r.bin, r.rating, sum(r.samples)::bigint
FROM {table} AS r
WHERE r.project_id = $1 AND r.metric = $2 AND r.bucket >= $3{filters}
GROUP BY r.bin, r.rating
"""
_RAW_BINS = """
SELECT v.bin, v.rating, count(*)
FROM vitals AS v JOIN pages AS p ON p.id = v.page_id
WHERE v.project_id = $1 AND v.metric = $2 AND v.time >= $3{filters}
GROUP BY v.bin, v.rating
"""
_RECENT_PAGE_VIEW = "SELECT EXISTS (SELECT FROM vitals WHERE project_id = $1 AND time >= $2)"
# Per earlier week: reports in the same span, and whether that week's day had any at all
# (a project younger than four weeks has fewer weeks to compare with).
_EARLIER_WEEKS = """
SELECT w.n,
       (SELECT coalesce(sum(samples), 0) FROM vitals_totals_hourly
        WHERE project_id = $1 AND bucket >= $2::timestamptz - w.n * $4::interval
          AND bucket < $3::timestamptz - w.n * $4::interval) AS in_span,
       EXISTS (SELECT FROM vitals_totals_daily
               WHERE project_id = $1
                 AND bucket = time_bucket(INTERVAL '1 day', $3::timestamptz - w.n * $4::interval))
         AS had_traffic
FROM generate_series(1, $5) AS w (n)
"""
_NEWEST_RELEASES = """
SELECT name FROM releases WHERE project_id = $1 ORDER BY first_seen DESC, name DESC LIMIT 2
"""


async def threshold(db: Connection, rule: AlertRule, now: datetime) -> Reading:
    assert rule.metric and rule.threshold is not None and rule.window_minutes and rule.min_samples
    metric = Metric[rule.metric]
    since = now - timedelta(minutes=rule.window_minutes)
    rows = await _bins(db, rule, int(metric), since)
    counts: dict[int, int] = {}
    good = 0
    for bin_index, rating, samples in rows:
        counts[bin_index] = counts.get(bin_index, 0) + samples
        good += samples if rating == Rating.GOOD else 0
    summary = summarize(metric, Side.of(counts, good))
    value = summary.p75 if rule.statistic == "p75" else summary.good_share
    details: dict[str, object] = {
        "samples": summary.count, "p75": summary.p75, "good_share": summary.good_share,
    }  # fmt: skip
    if value is None or summary.count < rule.min_samples:
        return Reading(value=value, samples=summary.count, breached=False, recovered=False,
                       details=details)  # fmt: skip
    limit, margin = rule.threshold, rule.threshold * rule.hysteresis_ratio
    if rule.comparison == "above":
        breached, recovered = value > limit, value <= limit - margin
    else:
        breached, recovered = value < limit, value >= limit + margin
    return Reading(value=value, samples=summary.count, breached=breached, recovered=recovered,
                   details=details)  # fmt: skip


async def _bins(
    db: Connection, rule: AlertRule, metric: int, since: datetime
) -> list[tuple[int, int, int]]:
    """(bin, rating, samples) of the rule's metric and filters since `since`."""
    audience = rule.browser is not None or rule.country is not None
    raw = rule.route is not None and audience
    if raw:
        statement, row, page = _RAW_BINS, "v", "p"
    else:
        table = (
            "vitals_route_hourly" if rule.route is not None
            else "vitals_client_hourly" if audience
            else "vitals_device_hourly" if rule.device is not None
            else "vitals_totals_hourly"
        )  # fmt: skip
        statement, row, page = _BINS.replace("{table}", table), "r", "r"
        since = since.replace(minute=0, second=0, microsecond=0)  # whole hours of the rollup
    params: list[object] = [rule.project_id, metric, since]
    clauses = []
    for column, value in (
        (f"{row}.device", None if rule.device is None else DEVICE_IDS[rule.device]),
        (f"{page}.route", rule.route),
        (f"{row}.browser", rule.browser),
        (f"{row}.country", rule.country),
    ):
        if value is not None:
            params.append(value)
            clauses.append(f"\n  AND {column} = ${len(params)}")
    records = await db.fetch(statement.format(filters="".join(clauses)), *params)
    return [(r[0], r[1], r[2]) for r in records]


async def silence(db: Connection, rule: AlertRule, now: datetime) -> Reading:
    assert rule.silence_minutes
    span = timedelta(minutes=rule.silence_minutes)
    recent = bool(await db.fetchval(_RECENT_PAGE_VIEW, rule.project_id, now - span))
    if recent:
        return Reading(value=0, samples=None, breached=False, recovered=True)
    start = (now - span).replace(minute=0, second=0, microsecond=0)
    weeks = await db.fetch(_EARLIER_WEEKS, rule.project_id, start, now, WEEK, SILENCE_WEEKS)
    busy = sum(1 for w in weeks if w["in_span"] >= SILENCE_MIN_REPORTS)
    with_history = sum(1 for w in weeks if w["had_traffic"])
    # Two busy weeks of four (fewer for a young project): one odd busy night in a
    # month does not make every quiet night an outage.
    expected = busy >= 1 and busy >= min(2, with_history)
    details: dict[str, object] = {
        "earlier_weeks_busy": busy, "earlier_weeks_with_traffic": with_history,
    }  # fmt: skip
    return Reading(value=rule.silence_minutes, samples=0, breached=expected,
                   recovered=not expected, details=details)  # fmt: skip


async def regression(db: Connection, rule: AlertRule, now: datetime) -> Reading:
    """Breached when the newest release is `regressed` in a scope the rule watches: a
    metric of its list (the Core Web Vitals by default), overall, per device or per
    route, within its devices if it names any. The value is the largest regression."""
    names = [r["name"] for r in await db.fetch(_NEWEST_RELEASES, rule.project_id)]
    if len(names) < 2:
        return Reading(value=None, samples=None, breached=False, recovered=True)
    newest, previous = names
    compared = compare_sides(
        await release_groups(db, rule.project_id, newest),
        await release_groups(db, rule.project_id, previous),
    )
    watched = rule.metrics or CORE_WEB_VITALS
    regressions: list[dict[str, object]] = []
    for metric_name in watched:
        result = compared[metric_name]
        scopes: list[tuple[str | None, str | None, Comparison]] = []
        if rule.devices is None:
            scopes.append((None, None, result.overall))
        scopes += [(None, d, c) for d, c in result.devices.items()]
        scopes += [(r.route, r.device, r.comparison) for r in result.routes]
        for route, device, comparison in scopes:
            if comparison.verdict != "regressed":
                continue
            if rule.devices is not None and device not in rule.devices:
                continue
            regressions.append({
                "metric": metric_name, "route": route, "device": device,
                "change": comparison.change.p75_relative, "ci95": comparison.change.p75_ci95,
                "p75": comparison.release.p75, "baseline_p75": comparison.baseline.p75,
                "samples": comparison.release.count,
            })  # fmt: skip
    regressions.sort(key=lambda r: -float(r["change"] or 0))  # type: ignore[arg-type]
    worst = regressions[0] if regressions else None
    details: dict[str, object] = {"baseline_release": previous, "regressions": regressions[:10]}
    return Reading(
        value=None if worst is None else worst["change"],  # type: ignore[arg-type]
        samples=None if worst is None else worst["samples"],  # type: ignore[arg-type]
        breached=bool(regressions), recovered=not regressions, release=newest,
        details=details,
    )  # fmt: skip


READERS = {"threshold": threshold, "silence": silence, "regression": regression}
