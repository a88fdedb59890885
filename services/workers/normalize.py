"""An accepted beacon → one `Report` per web-vitals report, ready to become a `vitals` row.

What the client says is not trusted where it matters: the rating is recomputed from the
official thresholds, the bin from the value, and the page, route and device come from the
URL and the user agent (routes.py, agents.py). Attribution lands in the attr_* columns as
attribution.py documents. `navigation_type` is stored as the index of the type in
`contracts.metrics.NAVIGATION_TYPES` (0 = navigate).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import msgspec

from services.contracts.attribution import Flattened, flatten
from services.contracts.metrics import NAVIGATION_TYPES, Device, Metric, Rating, bin_of, rating
from services.contracts.queue import AcceptedBeacon
from services.workers import recency
from services.workers.agents import agent_of
from services.workers.routes import CompiledRule, Page, page_of

Key = tuple[int, datetime, str]  # the vitals primary key: project, time origin, metric id


class Report(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    project_id: int
    time: datetime  # the page view's time origin, so every re-report hits the same key
    metric_id: str
    metric: Metric
    value: float
    rating: Rating
    bin: int
    page: Page
    device: Device
    browser: str
    browser_major: int | None
    os: str
    country: str
    connection: str
    navigation_type: int
    navigation_id: str
    attribution: Flattened
    received_at: datetime
    seq: int  # the beacon's place among its page's beacons (recency.py)
    release: str | None  # the deploy the page ran, as the site named it

    @property
    def key(self) -> Key:
        return (self.project_id, self.time, self.metric_id)


def from_epoch_ms(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def normalize(
    accepted: AcceptedBeacon, rules: list[CompiledRule], *, keep_trailing_slash: bool = False
) -> list[Report]:
    beacon = accepted.beacon
    page = page_of(beacon.url, rules, beacon.route, keep_trailing_slash=keep_trailing_slash)
    agent = agent_of(accepted.user_agent)
    connection = (beacon.connection.effective_type if beacon.connection else None) or ""
    time = from_epoch_ms(beacon.time_origin)
    received_at = from_epoch_ms(accepted.received_at)
    reports = []
    for report in beacon.reports:
        metric = Metric[report.name]
        reports.append(
            Report(
                project_id=accepted.project_id,
                time=time,
                metric_id=report.id,
                metric=metric,
                value=report.value,
                rating=rating(metric, report.value),
                bin=bin_of(metric, report.value),
                page=page,
                device=agent.device,
                browser=agent.browser,
                browser_major=agent.browser_major,
                os=agent.os,
                country=accepted.country,
                connection=connection,
                navigation_type=NAVIGATION_TYPES.index(report.navigation_type),
                navigation_id=beacon.navigation_id,
                attribution=flatten(metric, report.attribution),
                received_at=received_at,
                seq=beacon.seq,
                release=beacon.release,
            )
        )
    return reports


def latest_per_key(reports: Iterable[Report]) -> list[Report]:
    """One report per key, the latest measurement: a batch may hold several reports of one
    growing CLS or INP, and one upsert statement cannot touch a row twice."""
    latest: dict[Key, Report] = {}
    for report in reports:
        kept = latest.get(report.key)
        if kept is None or recency.order(report) > recency.order(kept):
            latest[report.key] = report
    return list(latest.values())
