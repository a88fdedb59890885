"""Every view the query service offers, over windows and filters that make each rollup
family, the hourly and daily rollups and the raw edges all take part.

Windows are absolute instants derived from the traffic's `now`, so both stacks are asked
exactly the same question whenever each is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from services.contracts.metrics import Metric
from services.query.filters import PUBLIC_DIMENSIONS
from services.query.timerange import floor_to
from tests.support.same_answers.page_views import PROJECT_IDS

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
PERCENTILES = "p50,p75,p90,p95,p99"
Params = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class View:
    name: str
    path: str
    params: Params = ()
    body: dict[str, Any] | None = None  # a POST's JSON body

    def describe(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.params)
        body = f" {self.body}" if self.body is not None else ""
        return f"{self.name} {self.path}{'?' + query if query else ''}{body}"

    async def fetch(self, client: AsyncTestClient, token: str) -> tuple[int, Any]:  # type: ignore[type-arg]
        headers = {"Authorization": f"Bearer {token}", "Cache-Control": "no-cache"}
        if self.body is None:
            response = await client.get(self.path, params=list(self.params), headers=headers)
        else:
            response = await client.post(
                self.path, params=list(self.params), json=self.body, headers=headers
            )
        return response.status_code, response.json()


def windows(now: datetime) -> dict[str, tuple[datetime, datetime]]:
    hour = floor_to(now, HOUR)
    today = floor_to(now, DAY)
    return {
        # Everything, the 74-hour-old late page views included.
        "all": (hour - timedelta(hours=77), now + timedelta(minutes=5)),
        # Starts and ends at half past: cuts hours, and days, in half.
        "half_days": (
            hour - timedelta(hours=61, minutes=-30),
            hour - timedelta(hours=12, minutes=30),
        ),
        "whole_days": (today - 2 * DAY, today),  # daily rollups alone
        "recent": (hour - timedelta(hours=6, minutes=-15), now + timedelta(minutes=5)),
    }


FILTERS: dict[str, Params] = {
    "none": (),
    "mobile": (("device", "mobile"),),  # device family
    "products": (("route", "/products/:id"),),  # route family
    "blog": (("route", "/blog/:slug"),),  # the route that changed half-way
    "chrome_de": (("browser", "Chrome"), ("country", "DE")),  # client family
    "ios": (("os", "iOS"),),  # raw rows only
    "bfcache": (("navigation_type", "back-forward-cache"),),
    "desktop_4g": (("device", "desktop"), ("connection", "4g")),
}


def catalogue(now: datetime) -> list[View]:
    spans = windows(now)

    def window(name: str) -> Params:
        start, end = spans[name]
        return (("from", start.isoformat()), ("to", end.isoformat()))

    shop = f"/v1/projects/{PROJECT_IDS['shop']}"
    docs = f"/v1/projects/{PROJECT_IDS['docs']}"
    # Every filter over the window that cuts days in half; a few over the others.
    views = [View("summary", f"{shop}/summary", window("half_days") + FILTERS[f]) for f in FILTERS]
    views += [
        View("summary", f"{shop}/summary", window(w) + FILTERS[f])
        for w in ("all", "whole_days", "recent")
        for f in ("none", "blog", "chrome_de")
    ]
    views.append(View("summary", f"{docs}/summary", window("all")))
    widths = {"1m": "recent", "5m": "recent", "15m": "half_days", "30m": "half_days",
              "1h": "half_days", "3h": "all", "6h": "all", "12h": "all", "1d": "all", "1w": "all"}  # fmt: skip
    for metric in Metric:
        m = (("metric", metric.name),)
        series = (*m, ("percentile", PERCENTILES))
        views += [
            View("timeseries", f"{shop}/timeseries", series + window(w) + (("bucket", width),))
            for width, w in widths.items()
        ]
        views += [
            View("timeseries", f"{shop}/timeseries", series + window("half_days") + (("bucket", "1h"),) + FILTERS["blog"]),
            View("timeseries", f"{shop}/timeseries", series + window("all") + (("bucket", "1d"), ("tz", "America/Sao_Paulo")) + FILTERS["mobile"]),
        ]  # fmt: skip
        views += [
            View("breakdown", f"{shop}/breakdown", m + window("half_days") + (("dimension", d),))
            for d in PUBLIC_DIMENSIONS
        ]
        views += [
            View("breakdown", f"{shop}/breakdown", m + window("all") + (("dimension", "route"), ("sort", "p75"), ("order", "asc"), ("limit", "5"), ("offset", "2"))),
            View("breakdown", f"{shop}/breakdown", m + window("whole_days") + (("dimension", "device"), ("percentile", "p99")) + FILTERS["chrome_de"]),
            View("breakdown", f"{shop}/breakdown", m + window("recent") + (("dimension", "browser"), ("sort", "good_share")) + FILTERS["products"]),
        ]  # fmt: skip
        views += [
            View("histogram", f"{shop}/histogram", m + window("all")),
            View("histogram", f"{shop}/histogram", m + window("half_days") + (("buckets", "12"),) + FILTERS["mobile"]),
            View("attribution", f"{shop}/attribution", m + window("all")),
            View("attribution", f"{shop}/attribution", m + window("half_days") + (("limit", "3"),) + FILTERS["blog"]),
        ]  # fmt: skip
    views += [
        View("timeseries", f"{docs}/timeseries", (("metric", "LCP"), *window("all"))),
        View("breakdown", f"{docs}/breakdown", (("metric", "INP"), *window("all"))),
    ]
    records = [
        ({"origin": "https://shop.example"}, PROJECT_IDS["shop"]),
        ({"origin": "https://www.shop.example", "formFactor": "DESKTOP"}, PROJECT_IDS["shop"]),
        ({"url": "https://shop.example/cart", "formFactor": "PHONE"}, PROJECT_IDS["shop"]),
        ({"url": "https://shop.example/blog/cls-fonts", "metrics": ["cumulative_layout_shift"]}, PROJECT_IDS["shop"]),
        ({"origin": "https://docs.example"}, PROJECT_IDS["docs"]),
        ({"origin": "https://nowhere.example"}, PROJECT_IDS["shop"]),  # 404 on both
    ]  # fmt: skip
    views += [
        View("crux", "/v1/records:queryRecord", (("project_id", str(p)),), body)
        for body, p in records
    ]
    return views
