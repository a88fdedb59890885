"""Realistic raw rows for the read-path benchmark, generated a day at a time with numpy.

One page view yields five rows (LCP, INP, CLS, FCP, TTFB). Shapes follow public field
data: lognormal values with medians near the HTTP Archive's, slower on phones and slow
networks; a mobile-heavy device mix with browsers and operating systems that belong to
the device; countries, routes and product pages with long tails (Zipf); a daily cycle.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np

from services.contracts.metrics import GAMMA, SPECS, ZERO_BIN, Metric

HOST = "shop.example"
# (route, share of page views, distinct paths behind it)
ROUTES = [
    ("/", 22, 1), ("/products/:id", 30, 20_000), ("/products/:id/reviews", 4, 8_000),
    ("/category/:id", 9, 400), ("/search", 8, 1), ("/cart", 5, 1), ("/checkout", 3, 1),
    ("/checkout/payment", 2, 1), ("/account", 2, 1), ("/account/orders/:id", 2, 30_000),
    ("/blog", 1, 1), ("/blog/:id", 4, 600), ("/help/:id", 2, 300), ("/stores/:id", 1, 200),
    ("/login", 2, 1), ("/register", 1, 1), ("/wishlist", 1, 1), ("/deals", 1, 1),
]  # fmt: skip
DEVICES = {1: 0.39, 2: 0.55, 3: 0.05, 0: 0.01}  # desktop, mobile, tablet, other
# browser -> (share on desktop, share on mobile/tablet)
BROWSERS = {
    "Chrome": (0.62, 0.58), "Mobile Safari": (0.0, 0.27), "Safari": (0.09, 0.0),
    "Edge": (0.14, 0.01), "Firefox": (0.08, 0.01), "Samsung Internet": (0.0, 0.06),
    "Opera": (0.03, 0.01), "Chrome Mobile WebView": (0.0, 0.03), "Yandex Browser": (0.01, 0.01),
    "UC Browser": (0.0, 0.01), "Brave": (0.02, 0.005), "DuckDuckGo Mobile": (0.0, 0.005),
    "Vivaldi": (0.01, 0.0),
}  # fmt: skip
COUNTRIES = (
    "US", "DE", "IN", "BR", "GB", "JP", "FR", "CA", "IT", "ES", "MX", "NL", "PL", "ID", "TR",
    "AU", "KR", "SE", "CH", "BE", "AR", "CO", "RU", "UA", "VN", "PH", "TH", "ZA", "AT", "NO",
    "DK", "FI", "IE", "PT", "CZ", "RO", "HU", "GR", "IL", "SA", "AE", "EG", "NG", "KE", "PK",
    "BD", "MY", "SG", "NZ", "CL", "PE", "HK", "TW",
)  # fmt: skip  # Zipf-weighted in this order
NAVIGATION_SHARES = (0.80, 0.10, 0.05, 0.03, 0.01, 0.005, 0.005)
CONNECTIONS = ("4g", "3g", "2g", "slow-2g")
CONNECTION_SHARES = (0.80, 0.14, 0.05, 0.01)
# metric -> (median, sigma) of a lognormal, in the metric's unit
SHAPES = {
    Metric.LCP: (2100.0, 0.6), Metric.INP: (140.0, 0.8), Metric.CLS: (0.05, 1.2),
    Metric.FCP: (1400.0, 0.55), Metric.TTFB: (480.0, 0.75),
}  # fmt: skip
CLS_ZERO_SHARE = 0.35
# A release every three days; for ROLLOUT after each deploy, half the page views still run
# the one before (cached pages, open tabs), as a real rollout looks from the field.
RELEASE_EVERY = timedelta(days=3)
ROLLOUT = timedelta(hours=6)
LCP_TARGETS = ("img.hero", "h1.title", "div.banner > img", "img.product-photo", "p.lead")
INP_TARGETS = ("button.add-to-cart", "a.nav-link", "input#search", "button.menu", "div.tab")
_LOG_GAMMA = math.log(GAMMA)


def zipf_shares(n: int, s: float = 1.1) -> np.ndarray:
    shares = 1 / np.arange(1, n + 1) ** s
    return shares / shares.sum()  # type: ignore[no-any-return]


def pages() -> list[tuple[str, str, str]]:
    """(host, path, route) of every page the site has."""
    rows = []
    for route, _, variants in ROUTES:
        if variants == 1:
            rows.append((HOST, route, route))
        else:
            rows += [(HOST, route.replace(":id", str(1000 + i)), route) for i in range(variants)]
    return rows


class Site:
    """Draws page views for one project whose pages have the given ids (in `pages()` order)."""

    def __init__(self, project_id: int, page_ids: list[int], seed: int) -> None:
        self.project_id = project_id
        self.rng = np.random.default_rng(seed)
        self.route_shares = np.array([share for _, share, _ in ROUTES], dtype=float)
        self.route_shares /= self.route_shares.sum()
        offsets = np.cumsum([0] + [variants for _, _, variants in ROUTES])
        self.route_pages = [
            np.array(page_ids[offsets[i] : offsets[i + 1]]) for i in range(len(ROUTES))
        ]
        self.route_page_shares = [zipf_shares(len(p), 0.9) for p in self.route_pages]
        names = list(BROWSERS)
        self.browsers = np.array(names, dtype=object)
        desktop = np.array([BROWSERS[b][0] for b in names])
        handheld = np.array([BROWSERS[b][1] for b in names])
        self.browser_shares = (desktop / desktop.sum(), handheld / handheld.sum())
        self.countries = np.array(COUNTRIES, dtype=object)
        self.country_shares = zipf_shares(len(COUNTRIES))

    def page_views(self, start: datetime, count: int) -> dict[str, np.ndarray]:
        """`count` page views in the day from `start`, busier in the evening (UTC)."""
        rng = self.rng
        hours = np.arange(24)
        hourly = 1 + 0.6 * np.sin((hours - 14) / 24 * 2 * np.pi)
        hour = rng.choice(24, count, p=hourly / hourly.sum())
        seconds = hour * 3600 + rng.uniform(0, 3600, count)
        device = rng.choice(list(DEVICES), count, p=list(DEVICES.values()))
        desktop = device == 1
        browser = np.where(
            desktop,
            rng.choice(self.browsers, count, p=self.browser_shares[0]),
            rng.choice(self.browsers, count, p=self.browser_shares[1]),
        )
        os_name = np.select(
            [browser == "Mobile Safari", browser == "Safari", desktop],
            ["iOS", "Mac OS X",
             rng.choice(np.array(["Windows", "Mac OS X", "Linux", "Chrome OS"], dtype=object),
                        count, p=[0.72, 0.18, 0.06, 0.04])],
            "Android",
        )  # fmt: skip
        no_network_api = np.isin(browser, ["Mobile Safari", "Safari", "Firefox"])
        connection = np.where(
            no_network_api,
            "",
            rng.choice(np.array(CONNECTIONS, dtype=object), count, p=CONNECTION_SHARES),
        )
        route = rng.choice(len(ROUTES), count, p=self.route_shares)
        page = np.empty(count, dtype=np.int64)
        for index, ids in enumerate(self.route_pages):
            chosen = route == index
            page[chosen] = rng.choice(ids, chosen.sum(), p=self.route_page_shares[index])
        slow = np.where(device == 1, 1.0, 1.35) * np.select(
            [connection == "3g", connection == "2g", connection == "slow-2g"], [1.5, 2.5, 4.0], 1.0
        )
        return {
            "time": np.array([start + timedelta(seconds=float(s)) for s in seconds]),
            "device": device,
            "browser": browser,
            "os": os_name,
            "country": rng.choice(self.countries, count, p=self.country_shares),
            "connection": connection,
            "navigation_type": rng.choice(len(NAVIGATION_SHARES), count, p=NAVIGATION_SHARES),
            "page": page,
            "route": route,
            "slow": slow,
        }

    def values(self, metric: Metric, views: dict[str, np.ndarray]) -> np.ndarray:
        median, sigma = SHAPES[metric]
        count = len(views["page"])
        values = median * views["slow"] * np.exp(self.rng.normal(0, sigma, count))
        if metric is Metric.CLS:
            return np.where(  # type: ignore[no-any-return]
                self.rng.random(count) < CLS_ZERO_SHARE, 0.0, np.round(values, 4)
            )
        return np.round(values, 1)  # type: ignore[no-any-return]

    def releases(self, times: np.ndarray) -> list[str]:
        """Each page view's release: the one deployed last, or during a rollout, as often
        the one before it (see RELEASE_EVERY)."""
        every = RELEASE_EVERY.total_seconds()
        since_epoch = np.array([t.timestamp() for t in times])
        number = (since_epoch // every).astype(np.int64)
        rolling_out = (since_epoch % every < ROLLOUT.total_seconds()) & (
            self.rng.random(len(times)) < 0.5
        )
        return [f"r{n}" for n in (number - rolling_out).tolist()]

    def day(self, start: datetime, count: int) -> Iterator[tuple[object, ...]]:
        """The raw `vitals` rows (in `VITALS_COLUMNS` order) of one day's page views."""
        views = self.page_views(start, count)
        view_ids = self.rng.integers(0, 2**62, count)
        releases = self.releases(views["time"])
        for metric in Metric:
            values = self.values(metric, views)
            bins = bins_of(metric, values)
            ratings = ratings_of(metric, values)
            targets, urls, kinds, phases = self.attribution(metric, values)
            columns = (
                views["time"], [f"v6-{v:x}-{metric.name.lower()}" for v in view_ids],
                values.tolist(), ratings.tolist(), bins.tolist(), views["page"].tolist(),
                views["device"].tolist(), views["browser"], views["os"], views["country"],
                views["connection"], views["navigation_type"].tolist(), targets, urls, kinds,
                *phases, releases,
            )  # fmt: skip
            for row in zip(*columns, strict=True):
                yield (self.project_id, row[0], row[1], int(metric), *row[2:])

    def attribution(
        self, metric: Metric, values: np.ndarray
    ) -> tuple[list[str], list[str], list[str], list[list[float | None]]]:
        count = len(values)
        blank = [""] * count
        none: list[float | None] = [None] * count
        split = self.rng.dirichlet((2, 3, 4, 2), count) * values[:, None]
        if metric is Metric.LCP:
            targets = self.rng.choice(np.array(LCP_TARGETS, dtype=object), count).tolist()
            urls = [f"https://cdn.{HOST}/img/{i}.webp" for i in self.rng.integers(0, 300, count)]
            return targets, urls, blank, [split[:, i].round(1).tolist() for i in range(4)]
        if metric is Metric.INP:
            targets = self.rng.choice(np.array(INP_TARGETS, dtype=object), count).tolist()
            kinds = self.rng.choice(np.array(["pointer", "keyboard"], dtype=object), count,
                                    p=[0.85, 0.15]).tolist()  # fmt: skip
            phases = [split[:, i].round(1).tolist() for i in range(3)]
            return targets, blank, kinds, [*phases, none]
        if metric is Metric.CLS:
            targets = [("div.ad-slot" if v > 0 else "") for v in values.tolist()]
            return targets, blank, ["complete"] * count, [values.tolist(), none, none, none]
        if metric is Metric.FCP:
            return blank, blank, ["dom-interactive"] * count, [
                split[:, 0].round(1).tolist(), split[:, 1].round(1).tolist(), none, none
            ]  # fmt: skip
        return blank, blank, blank, [split[:, i].round(1).tolist() for i in range(4)]


def bins_of(metric: Metric, values: np.ndarray) -> np.ndarray:
    """contracts.metrics.bin_of, vectorised (the test below checks they agree)."""
    scaled = values * SPECS[metric].unit_scale
    with np.errstate(divide="ignore"):
        bins = np.ceil(np.log(np.where(scaled > 0, scaled, 1)) / _LOG_GAMMA)
    return np.where(scaled > 0, bins, ZERO_BIN).astype(np.int64)  # type: ignore[no-any-return]


def ratings_of(metric: Metric, values: np.ndarray) -> np.ndarray:
    spec = SPECS[metric]
    return np.select(  # type: ignore[no-any-return]
        [values <= spec.good_max, values <= spec.poor_min_exclusive], [0, 1], 2
    )


def day_starts(days: int, now: datetime | None = None) -> list[datetime]:
    """The starts of the last `days` UTC days, the newest being today."""
    today = (now or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
    return [today - timedelta(days=days - 1 - i) for i in range(days)]
