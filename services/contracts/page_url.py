"""A beacon's page URL → the host and path the `pages` dimension keys on.

One rule for both sides: ingest refuses with 400 every URL this rejects, and the workers
split the URLs it accepts with it, so a beacon answered 202 always names a page.

Accepted: an absolute http(s) URL whose host is a registered name (RFC 3986 reg-name
characters; letters beyond ASCII too, as a hand-made client may send `bücher.example`
where a browser sends punycode) or a bracketed IPv6 literal, with an optional port in
0-65535. The query and fragment are dropped: they may carry personal data and would make
every page view a new page. Refused: no host, a port that is not a number or above
65535, an unclosed or invalid IPv6 literal, spaces or other characters no host holds.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import msgspec

SCHEMES = ("http", "https")
# RFC 3986 reg-name: unreserved, sub-delims and percent-encoding; `%` also starts an IPv6
# zone id, which only the bracketed form may carry.
_HOST_PUNCTUATION = frozenset("-._~!$&'()*+,;=%")


class InvalidUrl(ValueError):
    """The URL names no page; the message says why."""


class PageUrl(msgspec.Struct, frozen=True, gc=False):
    host: str  # lower-case, with `:port` when the URL gives one
    path: str  # "/" when the URL has none


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
    return PageUrl(host=host, path=parts.path or "/")


def _check_ipv6(hostname: str) -> None:
    try:
        ipaddress.IPv6Address(hostname)
    except ValueError:
        raise InvalidUrl(f"host [{hostname}] is not an IPv6 address") from None
