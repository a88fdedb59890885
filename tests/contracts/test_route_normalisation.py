"""A page path has one spelling, and a route one name: raw or percent-encoded, with or
without a trailing slash, short or over the route limit (issue 15, item 4)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.contracts.page_path import canonical_path
from services.contracts.page_url import MAX_PAGE_BYTES, InvalidUrl, split_page_url
from services.workers.routes import CUT, MAX_ROUTE, RouteRule, bounded, compile_rules, route_of

# Characters that must never reach a stored path or route raw: they hide, reorder or
# control what a terminal, a log line or a dashboard cell shows.
HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}


def hidden(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) in HIDDEN_CATEGORIES]


class TestCanonicalPath:
    @pytest.mark.parametrize(
        ("raw", "encoded"),
        [
            ("/café", "/caf%C3%A9"),
            ("/café", "/caf%c3%a9"),
            ("/日本語/ページ", "/%E6%97%A5%E6%9C%AC%E8%AA%9E/%E3%83%9A%E3%83%BC%E3%82%B8"),
            ("/😀", "/%F0%9F%98%80"),
            ("/über-uns", "/%C3%BCber-uns"),
            ("/a-b_c.d~e", "/%61%2D%62%5F%63%2E%64%7E%65"),
        ],
    )
    def test_raw_and_percent_encoded_are_one_spelling_shown_decoded(
        self, raw: str, encoded: str
    ) -> None:
        """A path sent raw and the same path percent-encoded (either hex case) both become the decoded spelling."""
        assert canonical_path(raw) == raw
        assert canonical_path(encoded) == raw

    @pytest.mark.parametrize(
        ("path", "spelled"),
        [
            ("/a%2Fb", "/a%2Fb"),  # an encoded slash is no separator
            ("/a%2fb", "/a%2Fb"),
            ("/a%252Fb", "/a%252Fb"),  # a literal "%2F" stays apart from an encoded slash
            ("/%3Fq=1", "/%3Fq=1"),  # no query starts inside the path
            ("/%23top", "/%23top"),
            ("/a%5Cb", "/a%5Cb"),  # browsers read a backslash as a slash
            ("/a\\b", "/a%5Cb"),
        ],
    )
    def test_characters_that_change_the_path_stay_encoded(self, path: str, spelled: str) -> None:
        """%2F, %25, %3F, %23 and a backslash keep (or get) their escapes, hex in upper case."""
        assert canonical_path(path) == spelled

    @pytest.mark.parametrize(
        ("path", "spelled"),
        [
            ("/%FF", "/%FF"),  # never valid UTF-8
            ("/%ff%fe", "/%FF%FE"),
            ("/caf%C3", "/caf%C3"),  # truncated sequence
            ("/%C3%28", "/%C3("),  # a lead byte without its continuation
            ("/%C0%AF", "/%C0%AF"),  # overlong "/": no separator smuggled in
            ("/%E0%80%AF", "/%E0%80%AF"),  # overlong "/", three bytes
            ("/%ED%A0%80", "/%ED%A0%80"),  # an encoded UTF-16 surrogate
            ("/%F4%90%80%80", "/%F4%90%80%80"),  # above U+10FFFF
            ("/%FFcaf%C3%A9", "/%FFcafé"),  # the valid part of a run still decodes
        ],
    )
    def test_invalid_utf8_stays_encoded(self, path: str, spelled: str) -> None:
        """Bytes that are not valid UTF-8 (stray, truncated, overlong, surrogates, out of range) keep their escapes."""
        assert canonical_path(path) == spelled

    @pytest.mark.parametrize(
        ("path", "spelled"),
        [
            ("/a%00b", "/a%00b"),
            ("/a\x00b", "/a%00b"),
            ("/log%0D%0Aforged", "/log%0D%0Aforged"),  # no line a log reader would split
            ("/x%1B[31mred", "/x%1B[31mred"),  # no terminal escape sequence
            ("/x\x1b[31mred", "/x%1B[31mred"),
            ("/x%7F", "/x%7F"),
            ("/x%C2%85", "/x%C2%85"),  # C1 control NEL
            ("/x\x85", "/x%C2%85"),
            ("/admin%E2%80%AEgpj.exe", "/admin%E2%80%AEgpj.exe"),  # right-to-left override
            ("/admin\u202egpj.exe", "/admin%E2%80%AEgpj.exe"),
            ("/pay%E2%80%8Bpal", "/pay%E2%80%8Bpal"),  # zero-width space
            ("/a%E2%80%A8b", "/a%E2%80%A8b"),  # line separator
            ("/a%C2%A0b", "/a%C2%A0b"),  # no-break space
            ("/a b", "/a%20b"),
            ("/a%20b", "/a%20b"),
            ("/%EE%80%80", "/%EE%80%80"),  # private use
            ("/%F3%A0%80%81", "/%F3%A0%80%81"),  # a tag character
            ("/x\ud800", "/x%ED%A0%80"),  # a lone surrogate in the string itself
        ],
    )
    def test_no_control_or_invisible_character_is_created_or_kept(
        self, path: str, spelled: str
    ) -> None:
        """Control, format (bidi, zero-width), separator, private-use and surrogate characters come out encoded, whether they came raw or encoded."""
        assert canonical_path(path) == spelled
        assert hidden(canonical_path(path)) == []

    @pytest.mark.parametrize(
        ("path", "spelled"), [("/100%", "/100%25"), ("/%", "/%25"), ("/%zz", "/%25zz")]
    )
    def test_a_percent_that_starts_no_escape_is_encoded(self, path: str, spelled: str) -> None:
        """A `%` not followed by two hex digits is written %25, the spelling of an encoded `%`."""
        assert canonical_path(path) == spelled
        assert canonical_path(path) == canonical_path(spelled)

    def test_a_plain_ascii_path_is_returned_as_it_is(self) -> None:
        """The common case, an ASCII path with nothing to decode, is the very same string."""
        path = "/products/123/reviews;page=2@x:y"
        assert canonical_path(path) is path

    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=40))
    def test_any_path_is_idempotent_safe_and_keeps_its_slashes(self, text: str) -> None:
        """For any text: spelling it twice changes nothing, nothing hidden survives, and every `/` out was a `/` in."""
        spelled = canonical_path("/" + text)
        assert canonical_path(spelled) == spelled
        assert hidden(spelled) == []
        assert spelled.count("/") == ("/" + text).count("/")

    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=20))
    def test_encoding_any_text_spells_it_as_the_raw_text_does(self, text: str) -> None:
        """Percent-encoding a path's UTF-8 and sending it raw give one spelling."""
        raw = "/" + text.replace("/", "").replace("%", "")
        data = raw.encode("utf-8", errors="surrogatepass")
        encoded = "/" + "".join(f"%{b:02x}" for b in data[1:])
        assert canonical_path(encoded) == canonical_path(raw)


class TestPageUrl:
    def test_both_spellings_name_one_page(self) -> None:
        """A URL with its path raw and the same URL percent-encoded split into the same host and path."""
        raw = split_page_url("https://Shop.Example/café/menü?x=1")
        encoded = split_page_url("https://shop.example/caf%C3%A9/men%C3%BC#top")
        assert raw == encoded
        assert raw.path == "/café/menü"

    def test_a_path_that_grows_past_the_page_key_limit_is_refused(self) -> None:
        """A path whose raw control characters triple in length once encoded is refused, not stored past the index limit."""
        url = "https://shop.example/" + "\x01" * 700  # 721 bytes sent, 2,121 spelled
        with pytest.raises(InvalidUrl, match="once its path is normalised"):
            split_page_url(url)
        fits = "https://shop.example/" + "\x01" * ((MAX_PAGE_BYTES - 13) // 3)
        assert len(split_page_url(fits).path.encode()) <= MAX_PAGE_BYTES


class TestRouteNames:
    @pytest.mark.parametrize(
        ("path", "route"),
        [("/about/", "/about"), ("/orders/123/", "/orders/:id"), ("/a//", "/a"), ("/", "/")],
    )
    def test_a_trailing_slash_makes_no_route_of_its_own(self, path: str, route: str) -> None:
        """By default `/about/` and `/about` are one route; `/` stays `/`."""
        assert route_of(path, []) == route

    def test_a_project_may_keep_trailing_slashes_apart(self) -> None:
        """With keep_trailing_slash the slash stays part of the route."""
        assert route_of("/about/", [], keep_trailing_slash=True) == "/about/"
        assert route_of("/orders/123/", [], keep_trailing_slash=True) == "/orders/:id/"

    def test_a_declared_route_is_spelled_like_a_path(self) -> None:
        """An SPA's declared route passed as location.pathname (encoded) names the same route as the raw one, without its trailing slash."""
        assert route_of("/x", [], "/caf%C3%A9/:id/") == "/café/:id"
        assert route_of("/x", [], "/bad\u202eroute") == "/bad%E2%80%AEroute"

    def test_a_project_rule_route_is_used_as_written(self) -> None:
        """A rule's route keeps its author's trailing slash; the rule matches the decoded path."""
        rules, _ = compile_rules([RouteRule("/café/.*", "/café/")])
        assert route_of("/café/1/", rules) == "/café/"

    def test_a_long_route_is_cut_at_a_segment_boundary_and_marked(self) -> None:
        """A route over MAX_ROUTE ends at the last whole segment that fits, followed by `/…`."""
        path = "/" + "/".join(f"segment-{i:03d}" for i in range(100))
        route = route_of(path, [])
        assert len(route) <= MAX_ROUTE
        assert route.endswith(CUT)
        kept = route.removesuffix(CUT)
        assert path.startswith(kept + "/")
        assert len(kept) > MAX_ROUTE - len("/segment-000") - len(CUT)

    def test_one_segment_longer_than_the_limit_is_cut_to_the_mark(self) -> None:
        """A single segment over the limit leaves only the mark, never half a segment."""
        assert bounded("/" + "a" * 1000) == CUT
        assert bounded("x" * 1000) == CUT

    def test_a_route_at_the_limit_is_untouched(self) -> None:
        """A route of exactly MAX_ROUTE characters is not cut."""
        route = "/" + "a" * (MAX_ROUTE - 1)
        assert bounded(route) == route
