"""Page URL → host, path and route template.

A route groups the paths of one kind of page: `/orders/123` and `/orders/456` are both
`/orders/:id`. A project's own rules (`projects.route_rules`, a list of
`{"pattern": regex, "route": "..."}`) are tried first, in order; the first whose pattern
matches the whole path (`re.fullmatch`) names the route. Next comes the route the page
declared in its beacon (an SPA router's template, via the SDK's `route` option).
Otherwise each path segment that looks like an identifier becomes `:id`:

| segment                                              | example                                |
|------------------------------------------------------|----------------------------------------|
| digits only                                          | `123`                                  |
| a UUID                                               | `3f2b0c4e-8a1d-4c6e-9f7a-0b1c2d3e4f5a` |
| hex, 16+ characters, with a digit                    | `5f3c9a7e2b1d4c6a8e0f`                 |
| base64url-ish, 16+ characters, with a digit, at most | `V1StGXR8_Z5jdHi6B-myT`                |
| two `-`/`_`, and digits + capitals ≥ 30 % of it      |                                        |

The last rule keeps readable slugs (`my-long-post-title-2024`, `iPhone-15-Pro-Max-256GB`)
and catches random tokens; a project rule fixes whatever it gets wrong.

The path is already in its one spelling (contracts/page_path.py: `/caf%C3%A9` is `/café`),
and a declared route is spelled the same way, since SPA code often passes
`location.pathname`, which the browser encodes. A trailing slash makes no route of its
own (`/about/` is `/about`) unless the project keeps them apart
(`projects.keep_trailing_slash`); a project rule's route is used as its author wrote it.
A route over MAX_ROUTE characters is cut at the last `/` that fits and ends in `/…`, so a
dashboard shows whole segments and the cut is visible.
"""

from __future__ import annotations

import re

import msgspec

from services.contracts.page_path import canonical_path
from services.contracts.page_url import split_page_url

ID = ":id"
MAX_ROUTE = 512  # a route is a dashboard label; a longer one is a path we failed to template
CUT = "/…"  # ends a route cut to MAX_ROUTE

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]{16,}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,}")


class RouteRule(msgspec.Struct, frozen=True):
    pattern: str
    route: str


class CompiledRule(msgspec.Struct, frozen=True):
    pattern: re.Pattern[str]
    route: str


class Page(msgspec.Struct, frozen=True, order=True, gc=False):
    host: str
    path: str
    route: str


def compile_rules(rules: list[RouteRule]) -> tuple[list[CompiledRule], list[str]]:
    """The rules that compile, and an error message for each that does not."""
    compiled: list[CompiledRule] = []
    errors: list[str] = []
    for rule in rules:
        try:
            compiled.append(CompiledRule(re.compile(rule.pattern), rule.route))
        except re.error as exc:
            errors.append(f"{rule.pattern!r}: {exc}")
    return compiled, errors


def page_of(
    url: str,
    rules: list[CompiledRule],
    declared_route: str | None = None,
    *,
    keep_trailing_slash: bool = False,
) -> Page:
    """Host and path of a page URL by ingest's own rule (contracts/page_url.py), and its
    route. Raises InvalidUrl only for a URL an older ingest let through."""
    split = split_page_url(url)
    route = route_of(split.path, rules, declared_route, keep_trailing_slash=keep_trailing_slash)
    return Page(host=split.host, path=split.path, route=route)


def route_of(
    path: str,
    rules: list[CompiledRule],
    declared_route: str | None = None,
    *,
    keep_trailing_slash: bool = False,
) -> str:
    for rule in rules:
        if rule.pattern.fullmatch(path):
            return bounded(rule.route)
    if declared_route:
        route = canonical_path(declared_route)
    else:
        route = "/".join(ID if is_identifier(s) else s for s in path.split("/"))
    if not keep_trailing_slash:
        route = route.rstrip("/") or "/"
    return bounded(route)


def bounded(route: str) -> str:
    """The route, or its longest run of whole segments that fits with the CUT mark."""
    if len(route) <= MAX_ROUTE:
        return route
    end = route.rfind("/", 0, MAX_ROUTE - len(CUT) + 1)
    return route[: max(end, 0)] + CUT


def is_identifier(segment: str) -> bool:
    if not segment:
        return False
    if segment.isdigit() or _UUID.fullmatch(segment):
        return True
    has_digit = any(c.isdigit() for c in segment)
    if _HEX.fullmatch(segment):
        return has_digit
    if _TOKEN.fullmatch(segment) and has_digit:
        separators = segment.count("-") + segment.count("_")
        dense = sum(c.isdigit() or c.isupper() for c in segment)
        return separators <= 2 and dense >= 0.3 * len(segment)
    return False
