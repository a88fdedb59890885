"""Normalization: routes, user agents, server-side ratings and bins, attribution columns."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from services.contracts.attribution import flatten
from services.contracts.metrics import GAMMA, SPECS, ZERO_BIN, Device, Metric, Rating, bin_of
from services.contracts.page_url import InvalidUrl
from services.contracts.wire import Attribution
from services.workers.agents import agent_of
from services.workers.normalize import latest_per_key, normalize
from services.workers.routes import RouteRule, compile_rules, page_of, route_of
from tests.workers.factories import SAFARI_IPHONE, accepted, beacon, report


class TestRoutes:
    @pytest.mark.parametrize(
        ("path", "route"),
        [
            ("/", "/"),
            ("/about", "/about"),
            ("/orders/123", "/orders/:id"),
            ("/orders/123/items/7", "/orders/:id/items/:id"),
            ("/u/3f2b0c4e-8a1d-4c6e-9f7a-0b1c2d3e4f5a/settings", "/u/:id/settings"),
            ("/commit/5f3c9a7e2b1d4c6a8e0f", "/commit/:id"),
            ("/obj/507f1f77bcf86cd799439011", "/obj/:id"),
            ("/s/V1StGXR8_Z5jdHi6B-myT", "/s/:id"),
            ("/blog/my-long-post-title-2024", "/blog/my-long-post-title-2024"),
            ("/shop/iPhone-15-Pro-Max-256GB", "/shop/iPhone-15-Pro-Max-256GB"),
            ("/docs/deadbeefdeadbeef", "/docs/deadbeefdeadbeef"),
            ("/v2/api", "/v2/api"),
            ("/trailing/", "/trailing"),
        ],
    )
    def test_generic_identifiers_become_id(self, path: str, route: str) -> None:
        """Numbers, UUIDs, long hex and random tokens become :id; words, slugs and versions stay."""
        assert route_of(path, []) == route

    def test_project_rules_come_first_in_order(self) -> None:
        """The first project rule whose pattern matches the whole path names the route, before any generic replacement."""
        rules, errors = compile_rules(
            [
                RouteRule(r"/p/[^/]+", "/p/:slug"),
                RouteRule(r"/p/.*", "/never"),
                RouteRule(r"/orders", "/orders-exact"),
            ]
        )
        assert errors == []
        assert route_of("/p/blue-shoes", rules) == "/p/:slug"
        assert route_of("/orders/123", rules) == "/orders/:id"  # fullmatch, not prefix

    def test_declared_route_comes_after_project_rules_and_before_templating(self) -> None:
        """A route the page's router declared is used unless a project rule matches the path."""
        rules, _ = compile_rules([RouteRule(r"/p/[^/]+", "/p/:slug")])
        assert route_of("/products/blue-shoes", rules, "/products/:name") == "/products/:name"
        assert route_of("/p/blue-shoes", rules, "/products/:name") == "/p/:slug"
        assert route_of("/orders/12", rules, None) == "/orders/:id"

    def test_invalid_rule_is_reported_and_skipped(self) -> None:
        """A rule whose pattern does not compile is left out and reported; the others still apply."""
        rules, errors = compile_rules([RouteRule("/a/(", "/broken"), RouteRule("/a/.*", "/a/*")])
        assert len(errors) == 1 and "/a/(" in errors[0]
        assert route_of("/a/x", rules) == "/a/*"

    def test_page_drops_query_and_fragment_and_keeps_a_port(self) -> None:
        """The page key is the lower-cased host (with a non-default port) and the path; query and fragment are dropped."""
        page = page_of("https://Shop.Example:8443/cart/42?email=a@b.c#top", [])
        assert (page.host, page.path, page.route) == ("shop.example:8443", "/cart/42", "/cart/:id")
        assert page_of("https://shop.example", []).path == "/"

    @pytest.mark.parametrize(
        "url", ["https://shop.example:99999/", "https://[::1/x", "https:///path"]
    )
    def test_url_without_usable_host_is_rejected(self, url: str) -> None:
        """A URL with a bad port, a broken IPv6 literal or no host raises InvalidUrl."""
        with pytest.raises(InvalidUrl):
            page_of(url, [])


class TestAgents:
    @pytest.mark.parametrize(
        ("user_agent", "browser", "major", "os", "device"),
        [
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome", 124, "Windows", Device.DESKTOP),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0", "Edge", 124, "Windows", Device.DESKTOP),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15", "Safari", 17, "Mac OS X", Device.DESKTOP),
            ("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox", 125, "Linux", Device.DESKTOP),
            ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome", 124, "Chrome OS", Device.DESKTOP),
            (SAFARI_IPHONE, "Mobile Safari", 17, "iOS", Device.MOBILE),
            ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", "Chrome Mobile", 124, "Android", Device.MOBILE),
            ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "Mobile Safari", 17, "iOS", Device.TABLET),
            ("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "Chrome", 120, "Android", Device.TABLET),
            ("Mozilla/5.0 (Android 13; Tablet; rv:120.0) Gecko/120.0 Firefox/120.0", "Firefox Mobile", 120, "Android", Device.TABLET),
            ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot", 2, "", Device.OTHER),
            ("Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36", "Samsung Internet", 4, "Tizen", Device.OTHER),
            ("", "", None, "", Device.OTHER),
        ],
    )  # fmt: skip
    def test_user_agent_table(
        self, user_agent: str, browser: str, major: int | None, os: str, device: Device
    ) -> None:
        """Browser family, major version, OS family and device class come out of ua-parser as the module documents."""
        agent = agent_of(user_agent)
        assert (agent.browser, agent.browser_major, agent.os, agent.device) == (
            browser,
            major,
            os,
            device,
        )

    def test_nul_in_the_user_agent_never_reaches_a_column(self) -> None:
        """A NUL byte in the User-Agent header (PostgreSQL text cannot hold it) is left out of the browser family cut from it."""
        agent = agent_of("Mozilla/5.0 (compatible; Foo\x00Bot/1.0; +http://bot.example)")
        assert (agent.browser, agent.browser_major) == ("FooBot", 1)


class TestRatingsAndBins:
    @pytest.mark.parametrize(
        ("name", "value", "rating"),
        [
            ("LCP", 2500, Rating.GOOD), ("LCP", 2500.001, Rating.NEEDS_IMPROVEMENT),
            ("LCP", 4000, Rating.NEEDS_IMPROVEMENT), ("LCP", 4000.001, Rating.POOR),
            ("INP", 200, Rating.GOOD), ("INP", 201, Rating.NEEDS_IMPROVEMENT), ("INP", 500, Rating.NEEDS_IMPROVEMENT), ("INP", 501, Rating.POOR),
            ("CLS", 0.1, Rating.GOOD), ("CLS", 0.1001, Rating.NEEDS_IMPROVEMENT), ("CLS", 0.25, Rating.NEEDS_IMPROVEMENT), ("CLS", 0.2501, Rating.POOR),
            ("FCP", 1800, Rating.GOOD), ("FCP", 3000, Rating.NEEDS_IMPROVEMENT), ("FCP", 3000.5, Rating.POOR),
            ("TTFB", 800, Rating.GOOD), ("TTFB", 1800, Rating.NEEDS_IMPROVEMENT), ("TTFB", 1800.5, Rating.POOR),
        ],
    )  # fmt: skip
    def test_rating_is_server_side_at_the_exact_thresholds(
        self, name: str, value: float, rating: Rating
    ) -> None:
        """The stored rating follows the official thresholds (good ≤ first, poor > second) whatever the client claimed."""
        claimed = "poor" if rating is Rating.GOOD else "good"
        (normalized,) = normalize(accepted(1, beacon(report(name, value, rating=claimed))), [])
        assert normalized.rating is rating

    @pytest.mark.parametrize(
        ("name", "value"),
        [("LCP", 2100.0), ("INP", 1.0), ("CLS", 0.137), ("TTFB", 5.5), ("FCP", 3_599_999.0)],
    )
    def test_bin_holds_the_value_within_alpha(self, name: str, value: float) -> None:
        """The bin is ceil(log_γ(value in the histogram unit)), so the value lies in (γ^(bin-1), γ^bin]."""
        (normalized,) = normalize(accepted(1, beacon(report(name, value))), [])
        scaled = value * (1000 if name == "CLS" else 1)
        assert GAMMA ** (normalized.bin - 1) < scaled <= GAMMA**normalized.bin * (1 + 1e-12)
        assert normalized.bin == math.ceil(math.log(scaled) / math.log(GAMMA))

    @pytest.mark.parametrize("value", [1e-300, 5e-324, 1e-290])
    def test_values_below_the_smallest_bin_count_as_zero(self, value: float) -> None:
        """A positive CLS whose log bin would not fit smallint (1e-300, a subnormal) lands in the zero bin, as DDSketch does below its smallest indexable value; the raw value is kept exactly."""
        (normalized,) = normalize(accepted(1, beacon(report("CLS", value))), [])
        assert (normalized.bin, normalized.value) == (ZERO_BIN, value)

    @pytest.mark.parametrize("metric", list(Metric))
    def test_every_accepted_value_has_a_bin_smallint_holds(self, metric: Metric) -> None:
        """From the smallest positive float up to the metric's maximum, every bin fits the smallint column."""
        for value in (5e-324, 1e-300, 1e-285, 1e-3, 1.0, SPECS[metric].max_value):
            assert -(2**15) <= bin_of(metric, value) < 2**15

    def test_zero_has_its_own_bin(self) -> None:
        """A CLS of exactly 0 (a page that never shifted) lands in the zero bin."""
        (normalized,) = normalize(accepted(1, beacon(report("CLS", 0))), [])
        assert normalized.bin == ZERO_BIN


class TestNormalize:
    def test_beacon_fields_become_row_fields(self) -> None:
        """Time origin, arrival time, navigation type index, connection, country and the page route land on every report."""
        b = beacon(
            report("LCP", 900, navigation_type="back-forward-cache"),
            time_origin=1_700_000_000_123.5,
            url="https://a.example/x/77",
            effective_type="3g",
        )
        (r,) = normalize(
            accepted(5, b, received_at=1_700_000_004_000, country="FR", user_agent=SAFARI_IPHONE),
            [],
        )
        assert r.time == datetime(2023, 11, 14, 22, 13, 20, 123500, tzinfo=UTC)
        assert r.received_at == datetime(2023, 11, 14, 22, 13, 24, tzinfo=UTC)
        assert (r.project_id, r.metric, r.navigation_type, r.connection, r.country) == (
            5,
            Metric.LCP,
            3,
            "3g",
            "FR",
        )
        assert (r.page.host, r.page.route, r.device) == ("a.example", "/x/:id", Device.MOBILE)

    def test_latest_per_key_keeps_latest_arrival_then_largest_value(self) -> None:
        """Among reports of one key the latest arrival wins, and for equal arrivals the larger value."""
        origin = 1_700_000_000_000.0
        reports = [
            *normalize(
                accepted(
                    1, beacon(report("CLS", 0.3, "c"), time_origin=origin), received_at=origin + 1
                ),
                [],
            ),
            *normalize(
                accepted(
                    1, beacon(report("CLS", 0.1, "c"), time_origin=origin), received_at=origin + 2
                ),
                [],
            ),
            *normalize(
                accepted(
                    1, beacon(report("CLS", 0.2, "c"), time_origin=origin), received_at=origin + 2
                ),
                [],
            ),
            *normalize(
                accepted(
                    1, beacon(report("CLS", 0.9, "other"), time_origin=origin), received_at=origin
                ),
                [],
            ),
        ]
        kept = {r.metric_id: r.value for r in latest_per_key(reports)}
        assert kept == {"c": 0.2, "other": 0.9}

    def test_latest_per_key_keeps_the_highest_seq_before_arrival_and_value(self) -> None:
        """A report from a later beacon of the page (higher seq) wins over one that arrived later with a larger value."""
        origin = 1_700_000_000_000.0
        resent, rereport = (
            normalize(
                accepted(
                    1,
                    beacon(report("INP", value, "i"), time_origin=origin, seq=seq),
                    received_at=at,
                ),
                [],
            )[0]
            for value, seq, at in ((400, 0, origin + 9), (250, 1, origin + 2))
        )
        assert rereport.seq == 1
        assert [(r.value, r.seq) for r in latest_per_key([rereport, resent])] == [(250, 1)]
        assert [(r.value, r.seq) for r in latest_per_key([resent, rereport])] == [(250, 1)]


class TestAttribution:
    ALL = Attribution(
        target="img.hero", url="https://cdn/x.jpg", time_to_first_byte=1, resource_load_delay=2,
        resource_load_duration=3, element_render_delay=4, interaction_target="button", interaction_type="keyboard",
        input_delay=5, processing_duration=6, presentation_delay=7, longest_script_url="https://cdn/app.js",
        largest_shift_target="div.ad", largest_shift_value=0.08, largest_shift_time=900, first_byte_to_fcp=8,
        dns_duration=9, connection_duration=10, request_duration=11, waiting_duration=12, cache_duration=13,
        load_state="dom-interactive",
    )  # fmt: skip

    @pytest.mark.parametrize(
        ("metric", "target", "url", "kind", "phases"),
        [
            (Metric.LCP, "img.hero", "https://cdn/x.jpg", "", (1, 2, 3, 4)),
            (Metric.INP, "button", "https://cdn/app.js", "keyboard", (5, 6, 7, None)),
            (Metric.CLS, "div.ad", "", "dom-interactive", (0.08, 900, None, None)),
            (Metric.FCP, "", "", "dom-interactive", (1, 8, None, None)),
            (Metric.TTFB, "", "", "", (9, 10, 11, 12)),
        ],
    )
    def test_each_metric_fills_its_documented_columns(
        self, metric: Metric, target: str, url: str, kind: str, phases: tuple[float | None, ...]
    ) -> None:
        """Every metric takes exactly its own attribution fields into attr_target/url/kind/phase1..4, in the documented order."""
        flat = flatten(metric, self.ALL)
        assert (flat.target, flat.url, flat.kind, flat.phases) == (target, url, kind, phases)

    def test_missing_attribution_is_empty(self) -> None:
        """A report without attribution stores empty text and NULL phases."""
        flat = flatten(Metric.LCP, None)
        assert (flat.target, flat.url, flat.kind, flat.phases) == (
            "",
            "",
            "",
            (None, None, None, None),
        )
