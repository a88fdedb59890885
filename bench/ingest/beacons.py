"""The beacons the bench sends: the golden `full.json` (five reports), as a browser sends it.

Each beacon is a distinct page view: its sequence number is spliced into the metric ids
and its time origin is its own, so workers insert new rows as they do for live traffic
instead of finding duplicates. Time origins are spread over the five minutes before the
run (beacons go out on `visibilitychange`, seconds to minutes after the page loaded), all
inside ingest's accepted window. A few dozen variants spread the values over real bins
and ratings, the URLs over several pages and the user agents over devices and browsers,
so the rollups see many groups per batch, not one. Every page view names a release, as
on a site that sets the SDK's `release`, so the release rollup (migration 0016) costs what
it costs there: the run's own, and one variant in eight the one before it (a rollout).

Requests are rendered once per variant; `request(seq)` is one bytes %-format, cheap
enough for a generator that must not steal the server's CPU.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parents[2] / "tests" / "wire" / "v1" / "valid" / "full.json"
PATH = "/v1/beacon"
ORIGIN = "https://shop.example.com"
# Real browsers' user agents (headless ones would be dropped as bots, unstored).
USER_AGENTS = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
)
VARIANTS = 64
PAGES = 20
SPREAD_MS = 300_000  # time origins fall in the five minutes before the run's origin
# Fixed-width placeholders (10-digit sequence, 13-digit epoch ms), so a variant's
# Content-Length is computed once and holds for every request.
_SEQ, _TIME = "@@@SEQ@@@@", "@@@@@TIME@@@@"
_FORMAT = {_SEQ.encode(): b"%(seq)010d", _TIME.encode(): b"%(time)013d"}


def metric_id(run: str, seq: int, report: int) -> str:
    """The id of report `report` (0-4) of beacon `seq`, as the body spells it."""
    return f"v6-{run}-{seq:010d}-{report}"


class BeaconSet:
    def __init__(self, *, run: str, origin_ms: int, key: str, host: str) -> None:
        self.run = run
        self.origin_ms = origin_ms
        golden = json.loads(GOLDEN.read_text())
        # The same run id renders the same beacons in every process (values, not secrets).
        rng = random.Random(run)  # noqa: S311
        self._templates = [
            _render(golden, run, variant, rng, key=key, host=host) for variant in range(VARIANTS)
        ]

    def time_origin_ms(self, seq: int) -> int:
        # A multiplicative hash spreads consecutive beacons over the whole window.
        return self.origin_ms - 1_000 - (seq * 7_919) % SPREAD_MS

    def request(self, seq: int) -> bytes:
        return self._templates[seq % VARIANTS] % {b"seq": seq, b"time": self.time_origin_ms(seq)}

    def body(self, seq: int) -> bytes:
        return self.request(seq).split(b"\r\n\r\n", 1)[1]

    @staticmethod
    def headers(seq: int) -> dict[str, str]:
        return {"User-Agent": user_agent(seq), **_FIXED_HEADERS}


def user_agent(seq: int) -> str:
    return USER_AGENTS[seq % VARIANTS % len(USER_AGENTS)]


# What navigator.sendBeacon(url, string) sends: text/plain, so no CORS preflight.
_FIXED_HEADERS = {"Content-Type": "text/plain;charset=UTF-8", "Origin": ORIGIN}


def _render(
    golden: dict[str, Any], run: str, variant: int, rng: random.Random, *, key: str, host: str
) -> bytes:
    beacon = json.loads(json.dumps(golden))
    beacon["timeOrigin"] = _TIME
    beacon["url"] = f"{ORIGIN}/products/{10_000 + variant % PAGES}?ref=home"
    beacon["navigationId"] = f"nav-{run}-{_SEQ}"
    beacon["release"] = f"{run}-previous" if variant % 8 == 0 else run
    for index, report in enumerate(beacon["reports"]):
        # Lognormal spread around the golden value: most near it, a tail of poor ones.
        value = report["value"] * rng.lognormvariate(0, 0.5)
        report["value"] = report["delta"] = round(value, 4 if report["name"] == "CLS" else 1)
        report["id"] = f"v6-{run}-{_SEQ}-{index}"  # as metric_id() spells it
    # A browser's SDK sends compact JSON; the time origin goes in as a bare number.
    body = json.dumps(beacon, separators=(",", ":")).replace(f'"{_TIME}"', _TIME).encode()
    head = (
        f"POST {PATH}?key={key} HTTP/1.1\r\nHost: {host}\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in BeaconSet.headers(variant).items())
        + f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    template = (head + body).replace(b"%", b"%%")
    for mark, spec in _FORMAT.items():
        template = template.replace(mark, spec)
    return template
