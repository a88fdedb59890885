"""The dashboard in a real headless Chromium against the real running system."""

from __future__ import annotations

import json
import random
import string
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import redis

from services.contracts.live import LiveBatch, LiveMetricValue, LivePageView, publish_batch
from services.contracts.metrics import Metric, bin_of
from services.contracts.tokens import mint_token
from tests.e2e.dashboard.conftest import Running, drive

METRICS = ("LCP", "INP", "CLS", "FCP", "TTFB")
LIVE_DEADLINE_MS = 2_000


def formatted(metric: str, value: float | None) -> str:
    """The dashboard's value format (src/lib/format.ts formatValue)."""
    if value is None:
        return "—"
    if metric == "CLS":
        return f"{value:.2f}"
    if value < 1000:
        return f"{round(value):,} ms"
    if value < 10_000:
        return f"{value / 1000:.2f} s"
    return f"{value / 1000:.1f} s"


def api_summary(running: Running, window: dict[str, str], **filters: str) -> dict[str, Any]:
    """The query API's summary for exactly the window the page showed."""
    response = httpx.get(
        f"{running.stack.query.url}/v1/projects/{running.project_id}/summary",
        params={"from": window["from"], "to": window["to"], **filters},
        headers={"Authorization": f"Bearer {running.token}"},
        timeout=30,
    )
    response.raise_for_status()
    summary: dict[str, Any] = response.json()
    return summary


def assert_tiles_match(observed: dict[str, Any], summary: dict[str, Any]) -> None:
    tiles = {tile["metric"]: tile for tile in observed["tiles"]}
    assert set(tiles) == set(METRICS)
    for metric in METRICS:
        current = summary["metrics"][metric]["current"]
        tile = tiles[metric]
        assert tile["p75"] == current["p75"], metric
        assert tile["count"] == current["count"], metric
        assert tile["rating"] == (current["rating"] or None), metric
        assert tile["text"] == formatted(metric, current["p75"]), metric
        assert tile["countText"] == f"{current['count']:,} samples", metric
        assert tile["lowSample"] == (current["low_sample"] and current["count"] > 0), metric
    assert observed["verdict"] == summary["core_web_vitals"]["status"]


class TestSignInAndOverview:
    def test_overview_numbers_equal_the_query_api(self, running: Running) -> None:
        """After signing in with a password the overview shows, per metric, the API's p75, sample count and rating for the same window."""
        observed = drive(running, "overview")
        assert observed["url"].endswith(f"/?project={running.project_id}")
        summary = api_summary(running, observed["window"])
        assert summary["metrics"]["LCP"]["current"]["count"] > 100, "the seeded week must have data"
        assert_tiles_match(observed, summary)
        for tile in observed["tiles"]:
            assert "vs previous 7 days" in tile["change"], tile
        assert observed["consoleErrors"] == []

    def test_project_picker_and_switch(self, running: Running) -> None:
        """A token for several projects offers a picker, by name where the project exists; the header then switches project, and an empty project has no verdict."""
        other = running.project_id + 1000
        token = mint_token(
            running.stack.settings,
            subject="x",
            projects=[running.project_id, other],
            lifetime_s=600,
        )
        observed = drive(
            running, "projects", twoProjectToken=token, otherProjectId=other, projectName="shop"
        )
        # The seeded project by its name; one that no longer exists by its number.
        assert observed["offered"] == ["shop", f"Project {other}"]
        assert observed["picked"].endswith(f"?project={running.project_id}")
        assert observed["switched"].endswith(f"?project={other}")
        assert observed["verdict"] == "insufficient_data"
        assert observed["consoleErrors"] == []

    def test_failed_sign_in_and_refused_token(self, running: Running) -> None:
        """A wrong password and a malformed token are explained on the form; a token the API refuses signs the user out with a notice."""
        forged = jwt.encode(
            {"sub": "x", "projects": [running.project_id], "exp": 4_000_000_000, "iat": 0,
             "iss": "vitals", "aud": "vitals-dashboard"},
            "a-different-secret-that-is-long-enough-for-hs256",
            algorithm="HS256",
        )  # fmt: skip
        observed = drive(running, "errors", forgedToken=forged)
        assert observed["badPassword"] == "Unknown email or wrong password."
        assert "three parts" in observed["badToken"]
        assert "Your session has ended" in observed["signedOut"]
        assert observed["consoleErrors"] == []


class TestStates:
    def test_empty_and_error_states(self, running: Running) -> None:
        """A window without data shows each view's empty state (and no verdict); a failing API shows the error with a retry that recovers."""
        observed = drive(running, "states")
        empty = observed["empty"]
        assert empty["verdict"] == "insufficient_data"
        assert [p["state"] for p in empty["overview"]] == ["ready", "empty"]
        assert empty["overview"][1]["text"] == "No LCP samples in this range."
        for view in ("trends", "distribution", "breakdowns", "attribution"):
            assert [p["state"] for p in empty[view]] == ["empty"], (view, empty[view])
        assert observed["error"].startswith("The database cannot be reached right now.")
        assert observed["recovered"] > 0
        assert observed["consoleErrors"] == []


class TestFilters:
    def test_filters_change_the_url_and_the_numbers(self, running: Running) -> None:
        """The device switch, an added route filter and the range picker (24 h, custom) land in the URL, and the tiles then equal the API's numbers for that selection."""
        # The browser runs in UTC, so the custom window's local times are UTC.
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        custom_from, custom_to = today - timedelta(days=20), today - timedelta(days=6)
        observed = drive(
            running, "filters", route="/checkout",
            customFrom=custom_from.strftime("%Y-%m-%dT%H:%M"), customTo=custom_to.strftime("%Y-%m-%dT%H:%M"),
        )  # fmt: skip
        before, mobile, routed = observed["before"], observed["mobile"], observed["routed"]
        assert "device=mobile" in mobile["url"]
        assert "device=mobile" in routed["url"] and "route=%2Fcheckout" in routed["url"]
        assert "device=mobile" in mobile["requested"]
        assert_tiles_match(mobile, api_summary(running, mobile["window"], device="mobile"))
        assert_tiles_match(
            routed, api_summary(running, routed["window"], device="mobile", route="/checkout")
        )
        last_day, custom = observed["lastDay"], observed["custom"]
        assert "range=24h" in last_day["url"] and "range=24h" in last_day["requested"]
        assert_tiles_match(
            last_day, api_summary(running, last_day["window"], device="mobile", route="/checkout")
        )
        assert custom["window"] == {
            "from": custom_from.isoformat().replace("+00:00", "Z"),
            "to": custom_to.isoformat().replace("+00:00", "Z"),
            "tz": "UTC",
        }
        assert "from=" in custom["url"] and "range" not in custom["url"]
        assert_tiles_match(
            custom, api_summary(running, custom["window"], device="mobile", route="/checkout")
        )
        counts = [{t["metric"]: t["count"] for t in s["tiles"]} for s in (before, mobile, routed)]
        assert counts[0]["LCP"] > counts[1]["LCP"] > counts[2]["LCP"] > 0
        assert observed["chips"] == ["Route: /checkout×"]
        assert observed["reopened"]["tiles"] == routed["tiles"], "the URL alone restores the view"
        assert observed["consoleErrors"] == []


class TestViews:
    def test_every_view_renders_at_laptop_and_phone_width(self, running: Running) -> None:
        """Trends, distribution, breakdowns and attribution settle with data and no errors; phone width does not scroll sideways."""
        observed = drive(running, "views", timeout_s=300)
        views = observed["views"]
        for name, view in views.items():
            if name.startswith("phone-"):
                assert view["overflow"] <= 0, f"{name} scrolls sideways by {view['overflow']}px"
                continue
            states = {panel["state"] for panel in view["panels"]}
            assert states == {"ready"}, (name, view["panels"])
        assert views["trends"]["lines"] == 3
        assert views["distribution"]["bars"] > 10
        rows = views["breakdowns"]["rows"]
        assert rows[0]["value"] == "/", "routes first, busiest first"
        assert {r["value"]: r["lowSample"] for r in rows}["/account"] is True
        assert {r["value"]: r["lowSample"] for r in rows}["/"] is False
        assert views["breakdowns-by-p75"]["rows"][0]["value"] == "/checkout", (
            "the slow route tops p75"
        )
        lcp_groups = {g["title"]: g["rows"] for g in views["attribution-lcp"]["groups"]}
        assert lcp_groups["LCP elements"] == 4
        inp_groups = {g["title"]: g["rows"] for g in views["attribution-inp"]["groups"]}
        assert inp_groups["INP targets"] == 4 and inp_groups["Interaction types"] == 2
        cls_groups = {g["title"]: g["rows"] for g in views["attribution-cls"]["groups"]}
        assert cls_groups["Largest shift sources"] >= 3
        assert len(observed["screenshots"]) == 13
        assert observed["consoleErrors"] == []

    def test_keyboard_alone_reaches_and_sorts_a_breakdown(self, running: Running) -> None:
        """Tab reaches the Breakdowns tab and a sortable column; Enter opens and sorts, with a visible focus ring."""
        observed = drive(running, "keyboard")
        assert observed["reachedTab"] and observed["reachedSort"]
        assert "view=breakdowns" in observed["url"] and "sort=p75" in observed["url"]
        assert observed["sortedBy"] == "descending"
        assert observed["values"][0] == "/checkout"
        assert observed["focusVisible"] == "solid"
        assert observed["consoleErrors"] == []


def _nonce() -> str:
    # Letters only: the route templating leaves such a path segment as it is.
    return "".join(random.choices(string.ascii_lowercase, k=12))


def _beacon(route: str, nonce: str) -> dict[str, Any]:
    now_ms = time.time() * 1000
    report = {"delta": 1234.5, "rating": "good", "navigationType": "navigate"}
    return {
        "v": 1,
        "sdk": {"name": "vitals-sdk", "version": "0.1.0"},
        "url": f"https://shop.example{route}",
        "timeOrigin": now_ms - 3000,
        "navigationId": f"nav-{nonce}",
        "reports": [
            {**report, "name": "LCP", "value": 1234.5, "id": f"v6-{nonce}-1"},
            {**report, "name": "TTFB", "value": 210, "delta": 210, "id": f"v6-{nonce}-2"},
        ],
    }


class TestLive:
    def test_live_view_follows_the_stream(self, running: Running) -> None:
        """A page view published on the live stream shows in the feed within 2 s and counts in the rolling window; after a network cut the view reconnects and refills from the API."""
        route = f"/live-stream/{_nonce()}"
        sent: list[float] = []
        batch = LiveBatch(
            project_id=running.project_id,
            counts={"LCP": 1},
            bins={"LCP": {bin_of(Metric.LCP, 1234.5): 1}},
            page_views=[
                LivePageView(
                    route=route,
                    device="mobile",
                    country="FR",
                    values=[LiveMetricValue(metric="LCP", value=1234.5, rating="good")],
                )
            ],
        )

        def publish(_: dict[str, Any]) -> None:
            client = redis.Redis.from_url(running.stack.settings.redis_url)
            try:
                sent.append(time.time() * 1000)
                publish_batch(client, batch)
            finally:
                client.close()

        observed = drive(
            running, "live", on_event=publish, route=route, metric="LCP", reconnect=True,
            screenshot="live",
        )  # fmt: skip
        assert observed["seenAt"] - sent[0] <= LIVE_DEADLINE_MS, observed["seenAt"] - sent[0]
        assert route in observed["item"] and "LCP 1.23 s" in observed["item"]
        assert "mobile · FR" in observed["item"]
        assert observed["samplesAfter"] == observed["samplesBefore"] + 1
        assert observed["refillsAtConnect"] == 5, "one histogram per metric when connecting"
        assert observed["refillsAfterReconnect"] >= 5, "and again after reconnecting"
        assert observed["consoleErrors"] == []

    def test_a_beacon_appears_in_the_live_view_within_two_seconds(self, running: Running) -> None:
        """A beacon posted to ingest while the live view is open shows in its feed within 2 s."""
        nonce = _nonce()
        route = f"/live-check/{nonce}"
        sent: list[tuple[float, int]] = []

        def send(_: dict[str, Any]) -> None:
            started = time.time() * 1000
            response = httpx.post(
                f"{running.stack.ingest.url}/v1/beacon",
                params={"key": running.ingest_key},
                content=json.dumps(_beacon(route, nonce)),
                headers={"Content-Type": "text/plain"},
                timeout=10,
            )
            sent.append((started, response.status_code))

        observed = drive(
            running, "live", on_event=send, route=route, metric="TTFB", screenshot="live-beacon"
        )
        started, status = sent[0]
        assert status == 202
        assert observed["seenAt"] - started <= LIVE_DEADLINE_MS, observed["seenAt"] - started
        assert route in observed["item"] and "LCP 1.23 s" in observed["item"]
        assert observed["samplesAfter"] == observed["samplesBefore"] + 1
        assert observed["consoleErrors"] == []
