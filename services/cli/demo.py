"""`vitals demo`: realistic traffic through the real ingest endpoint, so a newcomer sees data.

Page views follow real-world shapes: lognormal metric values with medians near the
HTTP Archive's (so the p75s land near the thresholds), a mobile-heavy device mix, a few
routes with ids, CLS/INP re-reports with the same id, and an occasional bad beacon.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
import uuid
from typing import Any

import httpx
import msgspec

from services.contracts import wire

HOSTS = ("shop.example",)
PATHS = (
    ("/", 30), ("/products/{n}", 25), ("/products/{n}/reviews", 5), ("/cart", 8),
    ("/checkout", 4), ("/blog/{slug}", 12), ("/account/orders/{n}", 6), ("/search", 10),
)  # fmt: skip
SLUGS = ("core-web-vitals", "faster-images", "inp-explained", "cls-fixes")
USER_AGENTS = (
    # (user agent, weight): mobile first, as on most sites.
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", 35),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", 20),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", 25),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", 8),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0", 7),
    ("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", 5),
)  # fmt: skip
COUNTRIES = (("US", 35), ("DE", 15), ("IN", 15), ("BR", 10), ("GB", 10), ("JP", 8), ("FR", 7))
CONNECTIONS = (("4g", 80), ("3g", 15), ("2g", 5))
# (median, sigma) of lognormal values; medians near real-world field data.
LCP_TARGETS = ("img.hero", "h1.title", "div.banner > img")
INP_TARGETS = ("button.add-to-cart", "a.nav-link", "input#search")
HERO_URL = "https://cdn.shop.example/hero.webp"
SHAPES = {"LCP": (1900, 0.55), "INP": (110, 0.7), "FCP": (1300, 0.5), "TTFB": (450, 0.7)}
CLS_ZERO_SHARE = 0.35


def _pick(options: tuple[tuple[str, int], ...], rng: random.Random) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _lognormal(name: str, rng: random.Random, slow: float) -> float:
    median, sigma = SHAPES[name]
    return round(median * slow * math.exp(rng.gauss(0, sigma)), 1)


def _url(rng: random.Random) -> str:
    template = _pick(PATHS, rng)
    path = template.replace("{n}", str(rng.randint(1000, 99999))).replace(
        "{slug}", rng.choice(SLUGS)
    )
    return f"https://{rng.choice(HOSTS)}{path}"


def _report(
    name: wire.MetricName, value: float, ids: dict[str, str], **attribution: Any
) -> wire.Report:
    return wire.Report(
        name=name,
        value=value,
        delta=value,
        id=ids[name],
        attribution=wire.Attribution(**attribution),
    )


def page_view(rng: random.Random, now_ms: float) -> tuple[wire.Beacon, wire.Beacon | None]:
    """One page view's beacon, and sometimes a later re-report of its CLS and INP."""
    slow = 1.6 if rng.random() < 0.2 else 1.0  # a slow cohort: old phones, bad networks
    time_origin = now_ms - rng.uniform(1_000, 60_000)
    nav = f"{int(time_origin)}-{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}"
    ids = {name: f"v6-{nav}-{name.lower()}" for name in ("LCP", "INP", "CLS", "FCP", "TTFB")}
    ttfb = _lognormal("TTFB", rng, slow)
    fcp = ttfb + _lognormal("FCP", rng, slow)
    lcp = max(fcp, fcp + _lognormal("LCP", rng, slow) * 0.4)
    inp = _lognormal("INP", rng, slow)
    cls = (
        0.0 if rng.random() < CLS_ZERO_SHARE else round(rng.lognormvariate(math.log(0.05), 1.0), 4)
    )
    reports = [
        _report("TTFB", ttfb, ids, waiting_duration=ttfb * 0.1, request_duration=ttfb * 0.7),
        _report("FCP", fcp, ids, time_to_first_byte=ttfb, first_byte_to_fcp=fcp - ttfb,
                load_state="dom-interactive"),
        _report("LCP", lcp, ids, target=rng.choice(LCP_TARGETS), url=HERO_URL,
                time_to_first_byte=ttfb, resource_load_delay=(lcp - ttfb) * 0.3,
                resource_load_duration=(lcp - ttfb) * 0.5, element_render_delay=(lcp - ttfb) * 0.2),
        _report("INP", inp, ids, interaction_target=rng.choice(INP_TARGETS),
                interaction_type=rng.choice(("pointer", "keyboard")), input_delay=inp * 0.2,
                processing_duration=inp * 0.5, presentation_delay=inp * 0.3, load_state="complete"),
        _report("CLS", cls, ids, largest_shift_target="div.ad-slot" if cls else None,
                largest_shift_value=cls, load_state="complete"),
    ]  # fmt: skip
    beacon = wire.Beacon(
        v=1,
        sdk=wire.Sdk(name="vitals-demo", version="1"),
        url=_url(rng),
        time_origin=time_origin,
        navigation_id=nav,
        reports=reports,
        connection=msgspec.convert(
            {"effectiveType": _pick(CONNECTIONS, rng), "rtt": rng.choice((50, 100, 300))},
            wire.Connection,
        ),
        viewport=wire.Viewport(
            width=rng.choice((390, 412, 1440, 1920)), height=rng.choice((844, 915, 900, 1080))
        ),
    )
    if rng.random() > 0.3:
        return beacon, None
    # The page stayed open: CLS and INP grew and were reported again under the same ids.
    grown = [
        msgspec.structs.replace(r, value=round(r.value * 1.5 + 0.01, 4), delta=round(r.value * 0.5 + 0.01, 4))
        for r in reports if r.name in ("CLS", "INP")
    ]  # fmt: skip
    # The SDK numbers a page's beacons: the re-report is its second (wire v1 `seq`).
    return beacon, msgspec.structs.replace(beacon, reports=grown, seq=1)


async def run_demo(
    endpoint: str, key: str, rate: float, duration_s: float | None, seed: int | None
) -> None:
    rng = random.Random(seed)
    url = endpoint.rstrip("/") + "/v1/beacon"
    sent = accepted = 0
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=5) as client:
        while duration_s is None or time.monotonic() - started < duration_s:
            beacon, later = page_view(rng, time.time() * 1000)
            headers = {
                "content-type": "text/plain",
                "user-agent": _pick(USER_AGENTS, rng),
                "cf-ipcountry": _pick(COUNTRIES, rng),
            }
            bodies = [wire.encode(beacon)] + ([wire.encode(later)] if later else [])
            if rng.random() < 0.02:
                bodies.append(b'{"v":1,"reports":[{"name":"FID","value":12}]}')  # a bad beacon: 400
            for body in bodies:
                try:
                    response = await client.post(
                        url, params={"key": key}, content=body, headers=headers
                    )
                    accepted += response.status_code == 202
                except httpx.HTTPError:
                    pass  # ingest restarting; the demo simply carries on
                sent += 1
            await asyncio.sleep(rng.expovariate(rate))
            if sent % 100 == 0:
                print(f"demo: sent {sent}, accepted {accepted}", flush=True)
