"""The headers a beacon request is judged by, read from the ASGI scope in one pass.

Litestar's `request.headers` builds a full case-insensitive multidict per request; on
this path that alone cost more than decoding the beacon, and only a few headers matter.
ASGI servers deliver header names lower-cased.

The client's address is read here only to find its country (country.py) and is not part
of the envelope: nothing downstream can store or log what it never receives.
"""

from __future__ import annotations

from typing import NamedTuple

from litestar.types import Scope

from services.ingest.country import CountrySource

_WANTED = frozenset(
    {b"content-type", b"content-encoding", b"origin", b"user-agent", b"x-vitals-key"}
)
_FORWARDED_FOR = b"x-forwarded-for"


class Envelope(NamedTuple):
    content_type: str | None
    content_encoding: str | None
    origin: str | None
    user_agent: str
    key: str | None  # from X-Vitals-Key; the query string is looked at separately
    country: str


def envelope_of(scope: Scope, countries: CountrySource) -> Envelope:
    country_header = countries.header
    found: dict[bytes, bytes] = {}
    forwarded: list[bytes] = []  # every X-Forwarded-For, in order: proxies may each add one
    for name, value in scope["headers"]:
        if name in _WANTED or name == country_header:
            found[name] = value
        elif name == _FORWARDED_FOR:
            forwarded.append(value)

    def text(name: bytes) -> str | None:
        value = found.get(name)
        return None if value is None else value.decode("latin-1")

    client = scope.get("client")
    return Envelope(
        content_type=text(b"content-type"),
        content_encoding=text(b"content-encoding"),
        origin=text(b"origin"),
        user_agent=text(b"user-agent") or "",
        key=text(b"x-vitals-key"),
        country=countries.country(
            found.get(country_header) if country_header else None,
            client[0] if client else None,
            forwarded,
        ),
    )
