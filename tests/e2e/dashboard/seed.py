"""The dashboard's end-to-end data: one shop's page views over the last eight weeks.

Deterministic (a fixed seed) and shaped so every view has something to show: five
metrics per page view, mobile slower than desktop, routes with plenty of samples and one
with only a handful (the low-sample marking), attribution on LCP, INP and CLS, and recent
page views so the last hour is not empty. Rows go in the way tests/query/seeding.py
writes them; the rollups are then built as the database's edition builds them.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from services.contracts.metrics import Device, Metric
from tests.query.seeding import Seeder, Vital

SEED = 7
HOST = "shop.example"
# (route, path pattern, weight); "/account" is rare on purpose: its groups are low-sample.
ROUTES = (
    ("/", "/", 30),
    ("/products/:id", "/products/{n}", 28),
    ("/cart", "/cart", 10),
    ("/checkout", "/checkout", 6),
    ("/search", "/search", 10),
    ("/blog/:id", "/blog/{n}", 14),
    ("/account", "/account", 0),
)
RARE_ROUTE = "/account"
RARE_VIEWS = 8
DEVICES = ((Device.MOBILE, 55), (Device.DESKTOP, 40), (Device.TABLET, 5))
BROWSERS = {
    Device.MOBILE: (("Chrome Mobile", "Android", 60), ("Mobile Safari", "iOS", 40)),
    Device.TABLET: (("Mobile Safari", "iOS", 100),),
    Device.DESKTOP: (("Chrome", "Windows", 55), ("Safari", "Mac OS X", 20), ("Firefox", "Linux", 10),
                     ("Edge", "Windows", 15)),
}  # fmt: skip
COUNTRIES = (("US", 35), ("DE", 20), ("IN", 15), ("BR", 10), ("GB", 10), ("FR", 10))
CONNECTIONS = (("4g", 80), ("3g", 15), ("2g", 5))
# metric -> (median, sigma) of a lognormal, in the metric's unit
SHAPES = {
    Metric.LCP: (1600.0, 0.55), Metric.INP: (120.0, 0.7), Metric.CLS: (0.04, 1.0),
    Metric.FCP: (1100.0, 0.5), Metric.TTFB: (380.0, 0.7),
}  # fmt: skip
LCP_TARGETS = ("img.hero", "main > h1.title", "div.banner > img", "img.product-photo")
INP_TARGETS = ("button.add-to-cart", "a.nav-link", "input#search", "button.menu-toggle")
CLS_TARGETS = ("div.ad-slot", "section.reviews", "header.sticky")


@dataclass(frozen=True)
class Seeded:
    project_id: int
    page_views: int
    rows: int


def _pick(rng: random.Random, options: tuple[tuple[object, ...], ...]) -> tuple[object, ...]:
    return rng.choices(options, weights=[o[-1] for o in options])[0]  # type: ignore[return-value]


def _value(rng: random.Random, metric: Metric, slow: float) -> float:
    median, sigma = SHAPES[metric]
    if metric is Metric.CLS:
        return (
            0.0 if rng.random() < 0.35 else round(median * slow * math.exp(rng.gauss(0, sigma)), 4)
        )
    return round(median * slow * math.exp(rng.gauss(0, sigma)), 1)


def _times(rng: random.Random, now: datetime) -> list[datetime]:
    """Page-view times: steady over eight weeks, a little busier lately, some in the last hour."""
    times = [now - timedelta(days=rng.uniform(0.05, 56)) for _ in range(1_800)]
    times += [now - timedelta(days=rng.uniform(0.05, 7)) for _ in range(500)]
    times += [now - timedelta(minutes=rng.uniform(2, 58)) for _ in range(60)]
    return times


async def seed_shop(db: asyncpg.Connection, now: datetime | None = None) -> Seeded:
    now = now or datetime.now(UTC)
    rng = random.Random(SEED)
    seeder = Seeder(db)
    project_id = await seeder.project("shop")
    pages: dict[str, int] = {}

    async def page(path: str, route: str) -> int:
        if path not in pages:
            pages[path] = await seeder.page(project_id, path=path, route=route, host=HOST)
        return pages[path]

    rows: list[Vital] = []
    times = _times(rng, now)
    rare = [now - timedelta(days=rng.uniform(0.1, 6)) for _ in range(RARE_VIEWS)]
    for index, when in enumerate(times + rare):
        if index >= len(times):
            route, pattern = RARE_ROUTE, RARE_ROUTE
        else:
            route, pattern, _ = _pick(rng, ROUTES[:-1])  # type: ignore[misc]
        path = str(pattern).replace("{n}", str(rng.randint(1, 40)))
        page_id = await page(path, str(route))
        device = _pick(rng, DEVICES)[0]
        browser, os_name, _ = _pick(rng, BROWSERS[device])  # type: ignore[index]
        connection = (
            "" if "Safari" in str(browser) or browser == "Firefox" else _pick(rng, CONNECTIONS)[0]
        )
        slow = (1.0 if device is Device.DESKTOP else 1.4) * {"3g": 1.5, "2g": 2.5}.get(
            str(connection), 1.0
        )
        if route == "/checkout":
            slow *= 1.6  # one clearly slow route, so sorting by p75 shows something
        common = {
            "project_id": project_id, "time": when, "page_id": page_id, "device": device,
            "browser": browser, "os": os_name, "country": _pick(rng, COUNTRIES)[0],
            "connection": connection, "navigation_type": rng.choices(range(3), weights=(85, 10, 5))[0],
        }  # fmt: skip
        for metric in Metric:
            value = _value(rng, metric, slow)
            rows.append(
                Vital(metric=metric, value=value, **common, **_attribution(rng, metric, value))
            )
    await seeder.vitals(rows)
    await build_rollups(db, seeder)
    return Seeded(project_id, len(times) + len(rare), len(rows))


def _attribution(rng: random.Random, metric: Metric, value: float) -> dict[str, object]:
    if metric is Metric.LCP:
        split = _split(rng, value, 4)
        return {
            "attr_target": rng.choice(LCP_TARGETS),
            "attr_url": f"https://cdn.{HOST}/img/{rng.randint(1, 6)}.webp",
            "phases": tuple(split),
        }
    if metric is Metric.INP:
        return {
            "attr_target": rng.choice(INP_TARGETS),
            "attr_kind": rng.choices(("pointer", "keyboard"), weights=(85, 15))[0],
            "attr_url": f"https://{HOST}/assets/app.{rng.choice(('4f2a9c', '9b1e07'))}.js",
            "phases": (*_split(rng, value, 3), None),
        }
    if metric is Metric.CLS:
        return {
            "attr_target": rng.choice(CLS_TARGETS) if value > 0 else "",
            "attr_kind": "complete",
            "phases": (value * 0.8, rng.uniform(200, 4000), None, None),
        }
    return {}


def _split(rng: random.Random, total: float, parts: int) -> list[float]:
    weights = [rng.uniform(0.5, 2) for _ in range(parts)]
    return [round(total * w / sum(weights), 1) for w in weights]


async def build_rollups(db: asyncpg.Connection, seeder: Seeder) -> None:
    """The rollups from the raw rows, as the workers would have kept them."""
    await seeder.recount()
