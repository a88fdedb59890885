"""The headers a beacon request is judged by, read from the ASGI scope in one pass.

Litestar's `request.headers` builds a full case-insensitive multidict per request; on
this path that alone cost more than decoding the beacon, and only six headers matter.
ASGI servers deliver header names lower-cased.
"""

from __future__ import annotations

from typing import NamedTuple

from litestar.types import Scope

_WANTED = frozenset(
    {b"content-type", b"content-encoding", b"origin", b"user-agent", b"x-vitals-key"}
)


class Envelope(NamedTuple):
    content_type: str | None
    content_encoding: str | None
    origin: str | None
    user_agent: str
    key: str | None  # from X-Vitals-Key; the query string is looked at separately
    country: str


def envelope_of(scope: Scope, country_header: bytes | None) -> Envelope:
    """`country_header`: the trusted proxy's lower-case header name, or None to trust none."""
    found = {
        name: value for name, value in scope["headers"] if name in _WANTED or name == country_header
    }

    def text(name: bytes) -> str | None:
        value = found.get(name)
        return None if value is None else value.decode("latin-1")

    return Envelope(
        content_type=text(b"content-type"),
        content_encoding=text(b"content-encoding"),
        origin=text(b"origin"),
        user_agent=text(b"user-agent") or "",
        key=text(b"x-vitals-key"),
        country=_country(found.get(country_header) if country_header else None),
    )


def _country(value: bytes | None) -> str:
    """An ISO 3166 alpha-2 code, or "" (absent, or a proxy's placeholder such as T1 for Tor)."""
    if value is None:
        return ""
    code = value.decode("latin-1").strip().upper()
    return code if len(code) == 2 and code.isascii() and code.isalpha() else ""
