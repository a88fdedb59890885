"""A beacon's page URL → the host and path the `pages` dimension keys on.

One rule for both sides: ingest refuses with 400 every URL this rejects, and the workers
split the URLs it accepts with it, so a beacon answered 202 always names a page.

Accepted: an absolute http(s) URL whose host is a registered name (RFC 3986 reg-name
characters; letters beyond ASCII too, as a hand-made client may send `bücher.example`
where a browser sends punycode) or a bracketed IPv6 literal, with an optional port in
0-65535. The query and fragment are dropped: they may carry personal data and would make
every page view a new page. The path takes its one spelling (page_path.py), so `/café`
and `/caf%C3%A9` are one page. Refused: no host, a port that is not a number or above
65535, an unclosed or invalid IPv6 literal, spaces or other characters no host holds, and
a host and path over MAX_PAGE_BYTES once the path is normalised.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import msgspec

from services.contracts.page_path import canonical_path

SCHEMES = ("http", "https")
# RFC 3986 reg-name: unreserved, sub-delims and percent-encoding; `%` also starts an IPv6
# zone id, which only the bracketed form may carry.
_HOST_PUNCTUATION = frozenset("-._~!$&'()*+,;=%")
# Host and path sit in a B-tree key (`pages`), whose rows PostgreSQL caps at ~2.7 kB; the
# wire's URL limit (2,048 bytes) keeps them under it. A path spelled canonically is
# shorter than the one sent unless it holds characters that must be encoded (a raw
# control character: 1 byte → 3), so the bound is checked again on the canonical path.
MAX_PAGE_BYTES = 2048


class InvalidUrl(ValueError):
    """The URL names no page; the message says why."""


class PageUrl(msgspec.Struct, frozen=True, gc=False):
    host: str  # lower-case, with `:port` when the URL gives one
    path: str  # canonical (page_path.py); "/" when the URL has none


def split_page_url(url: str) -> PageUrl:
    try:
        parts = urlsplit(url)
        hostname = parts.hostname or ""
        port = parts.port
    except ValueError as exc:  # an unclosed IPv6 bracket, a port not in 0-65535
        raise InvalidUrl(str(exc)) from None
    if parts.scheme not in SCHEMES:
        raise InvalidUrl("must be an absolute http(s) URL")
    if not hostname:
        raise InvalidUrl("has no host")
    if "[" in parts.netloc:
        _check_ipv6(hostname)
    elif not all(c.isalnum() or c in _HOST_PUNCTUATION for c in hostname):
        raise InvalidUrl(f"host {hostname!r} holds a character no host name has")
    host = hostname if port is None else f"{hostname}:{port}"
    path = canonical_path(parts.path) or "/"
    if len(host.encode()) + len(path.encode()) > MAX_PAGE_BYTES:
        raise InvalidUrl(f"is longer than {MAX_PAGE_BYTES} bytes once its path is normalised")
    return PageUrl(host=host, path=path)


def _check_ipv6(hostname: str) -> None:
    try:
        ipaddress.IPv6Address(hostname)
    except ValueError:
        raise InvalidUrl(f"host [{hostname}] is not an IPv6 address") from None
