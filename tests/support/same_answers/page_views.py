"""One page view's beacons: its URL, agent, country and connection, and its five metrics'
reports with attribution, drawn from a seeded random generator.

A quarter of the page views report CLS and INP twice under the same metric ids: a first,
smaller value and a grown one arriving minutes later (`first_and_rereport`). Every beacon
passes the wire decoder's checks (services/contracts/wire.py), so it is one ingest could
have accepted when its page view was fresh.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TypeVar

from services.contracts import wire
from services.contracts.queue import AcceptedBeacon
from services.contracts.wire import Attribution, Beacon, Connection, Report, Sdk

T = TypeVar("T")
# Created in this order on every stack (on emptied tables), so their ids match.
PROJECT_IDS = {"shop": 1, "docs": 2}

AGENTS = (
    # (user agent, weight): desktop Chrome, Edge and Firefox; iPhone Safari; Android
    # Chrome phone and tablet; a crawler (device "other").
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", 30),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51", 8),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", 7),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", 25),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", 20),
    ("Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", 6),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 2),
)  # fmt: skip
COUNTRIES = (("US", 35), ("DE", 20), ("IN", 15), ("BR", 10), ("JP", 8), ("", 12))
CONNECTIONS = (("4g", 60), ("3g", 15), ("2g", 3), (None, 22))
NAVIGATIONS = (("navigate", 70), ("reload", 10), ("back-forward-cache", 10), ("prerender", 4),
               ("back-forward", 6))  # fmt: skip
BLOG_SLUGS = ("core-web-vitals-2024", "why-inp-replaced-fid", "lcp-image-priority", "cls-fonts")
SPA_SECTIONS = ("settings", "billing", "team")
LCP_TARGETS = ("img.hero", "h1.title", "div.banner > img", "main p:nth-child(1)")
INP_TARGETS = ("button.add-to-cart", "a.nav-link", "input#search", "div.carousel")
CLS_TARGETS = ("div.ad-slot", "img.lazy", "header", "")


@dataclass
class PageView:
    project_id: int
    origin_ms: float
    url: str
    user_agent: str
    country: str
    connection: str | None
    navigation: str
    spa_section: str | None  # an /app/ page: its SPA declares a route
    reports: list[Report] = field(default_factory=list)


def page_view(rng: random.Random, origin_ms: float) -> PageView:
    origin_ms = float(round(origin_ms))
    if rng.random() < 0.08:
        project, host = PROJECT_IDS["docs"], "docs.example"
        path = rng.choice(("/", "/guide/install", "/guide/api", "/changelog"))
        section = None
    else:
        project = PROJECT_IDS["shop"]
        host = "www.shop.example" if rng.random() < 0.1 else "shop.example"
        path, section = _shop_path(rng)
    return PageView(
        project_id=project,
        origin_ms=origin_ms,
        url=f"https://{host}{path}",
        user_agent=_weighted(rng, AGENTS),
        country=_weighted(rng, COUNTRIES),
        connection=_weighted(rng, CONNECTIONS),
        navigation="soft-navigation" if section else _weighted(rng, NAVIGATIONS),
        spa_section=section,
    )


def _shop_path(rng: random.Random) -> tuple[str, str | None]:
    kind = rng.random()
    if kind < 0.35:
        return f"/products/{rng.randint(1, 40)}", None
    if kind < 0.45:
        return f"/products/{rng.randint(1, 40)}/reviews", None
    if kind < 0.60:
        return "/", None
    if kind < 0.68:
        return "/cart", None
    if kind < 0.80:
        return f"/blog/{rng.choice(BLOG_SLUGS)}", None
    if kind < 0.90:
        section = rng.choice(SPA_SECTIONS)
        return f"/app/{section}", section
    return f"/checkout/{rng.getrandbits(128):032x}", None


def first_and_rereport(
    rng: random.Random, view: PageView, *, declared_new: bool
) -> tuple[AcceptedBeacon, AcceptedBeacon | None]:
    """The page view's first beacon and, for about a quarter, a later one whose CLS and INP
    grew (same metric ids, later arrival)."""
    n = f"{view.origin_ms:.0f}-{rng.getrandbits(32):08x}"
    lcp = _lognormal(rng, 2200, 0.6)
    ttfb = _lognormal(rng, 600, 0.7)
    fcp = max(ttfb + 1, _lognormal(rng, 1500, 0.5))
    reports = [
        _report("TTFB", ttfb, f"v5-{n}-ttfb", view, Attribution(
            dns_duration=_ms(rng.uniform(0, 60)), connection_duration=_ms(rng.uniform(0, 120)),
            request_duration=_ms(rng.uniform(5, 80)), waiting_duration=_ms(rng.uniform(0, 20)),
            cache_duration=_ms(rng.uniform(0, 5)))),
        _report("FCP", fcp, f"v5-{n}-fcp", view, Attribution(
            time_to_first_byte=_ms(ttfb), first_byte_to_fcp=_ms(fcp - ttfb), load_state="dom-interactive")),
        _report("LCP", max(lcp, fcp), f"v5-{n}-lcp", view, Attribution(
            target=rng.choice(LCP_TARGETS), url=f"https://cdn.shop.example/img/{rng.randint(1, 6)}.avif",
            time_to_first_byte=_ms(ttfb), resource_load_delay=_ms(rng.uniform(0, 300)),
            resource_load_duration=_ms(rng.uniform(50, 900)), element_render_delay=_ms(rng.uniform(0, 200)))),
    ]  # fmt: skip
    cls = round(rng.lognormvariate(-2.6, 1.1), 4) if rng.random() < 0.85 else 0.0
    inp = _lognormal(rng, 180, 0.8) if rng.random() < 0.7 else None
    grows = rng.random() < 0.25 and (cls > 0 or inp is not None)
    share = rng.uniform(0.3, 0.8) if grows else 1.0
    growing = [_cls(rng, view, n, round(cls * share, 4))]
    if inp is not None:
        growing.append(_inp(rng, view, n, _ms(inp * share)))
    first = _accepted(
        view, reports + growing, after_s=rng.uniform(1, 30), declared_new=declared_new
    )
    if not grows:
        return first, None
    grown = [_cls(rng, view, n, cls)] + ([_inp(rng, view, n, _ms(inp))] if inp is not None else [])
    rereport = _accepted(view, grown, after_s=rng.uniform(60, 600), declared_new=True)
    return first, rereport


def _cls(rng: random.Random, view: PageView, n: str, value: float) -> Report:
    return _report("CLS", value, f"v5-{n}-cls", view, Attribution(
        largest_shift_target=rng.choice(CLS_TARGETS) or None, largest_shift_value=round(value / 2, 4),
        largest_shift_time=_ms(rng.uniform(100, 5000)), load_state="complete"))  # fmt: skip


def _inp(rng: random.Random, view: PageView, n: str, value: float) -> Report:
    return _report("INP", value, f"v5-{n}-inp", view, Attribution(
        interaction_target=rng.choice(INP_TARGETS), interaction_type=rng.choice(("pointer", "keyboard")),
        input_delay=_ms(value * 0.2), processing_duration=_ms(value * 0.5),
        presentation_delay=_ms(value * 0.3), load_state="complete"))  # fmt: skip


def _report(
    name: str, value: float, metric_id: str, view: PageView, attribution: Attribution
) -> Report:
    return Report(
        name=name,  # type: ignore[arg-type]
        value=value,
        delta=value,
        id=metric_id,
        navigation_type=view.navigation,  # type: ignore[arg-type]
        attribution=attribution,
    )


def _accepted(
    view: PageView, reports: list[Report], *, after_s: float, declared_new: bool
) -> AcceptedBeacon:
    # The SPA's route option: a deploy half-way changed what it declares.
    route = None
    if view.spa_section is not None:
        route = "/app/:section" if declared_new else f"/app/{view.spa_section}"
    beacon = Beacon(
        v=1,
        sdk=Sdk(name="vitals-js", version="1.2.0"),
        url=view.url,
        time_origin=view.origin_ms,
        reports=reports,
        navigation_id=f"nav-{view.origin_ms:.0f}",
        connection=Connection(effective_type=view.connection) if view.connection else None,  # type: ignore[arg-type]
        route=route,
    )
    wire.decode(wire.encode(beacon))  # raises if ingest would refuse it
    return AcceptedBeacon(
        project_id=view.project_id,
        received_at=float(round(view.origin_ms + after_s * 1000)),
        user_agent=view.user_agent,
        country=view.country,
        beacon=beacon,
    )


def _weighted(rng: random.Random, choices: tuple[tuple[T, int], ...]) -> T:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return _ms(median * rng.lognormvariate(0, sigma))


def _ms(value: float) -> float:
    return round(min(value, 3_599_999.0), 1)
