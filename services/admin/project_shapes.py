"""What the projects endpoints take and answer, and the checks a body passes before any
SQL runs (the table's CHECKs are the last line: migrations/0001_core.sql)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

import asyncpg
import msgspec

from services.admin.route_rules import RouteRule, RouteRules, UnsafePattern, check_rules
from services.contracts.errors import ApiError

CODE = "invalid_project"
Slug = Annotated[str, msgspec.Meta(pattern="^[a-z0-9][a-z0-9-]{0,62}$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern="^[^\x00]+$")]
Origin = Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
Origins = Annotated[list[Origin], msgspec.Meta(max_length=100)]
# Beacons a minute; the column is a PostgreSQL integer and must be positive.
RateLimit = Annotated[int, msgspec.Meta(ge=1, le=100_000_000)]


class Project(msgspec.Struct, frozen=True):
    id: int
    slug: str
    name: str
    allowed_origins: list[str]  # empty: any origin may send beacons
    rate_limit_per_minute: int
    filter_bots: bool
    route_rules: list[RouteRule]
    # `/about/` and `/about` are two routes (services/workers/routes.py; default: one).
    keep_trailing_slash: bool
    created_at: datetime


class NewProject(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    slug: Slug
    name: Name | None = None  # default: the slug
    allowed_origins: Origins = msgspec.field(default_factory=list)
    rate_limit_per_minute: RateLimit = 60_000
    filter_bots: bool = True
    route_rules: RouteRules = msgspec.field(default_factory=list)
    keep_trailing_slash: bool = False


class ProjectChanges(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A PATCH: the fields given change, the others stay. The slug never changes: CI jobs
    and `vitals` commands name the project by it."""

    name: Name | None = None
    allowed_origins: Origins | None = None
    rate_limit_per_minute: RateLimit | None = None
    filter_bots: bool | None = None
    route_rules: RouteRules | None = None
    keep_trailing_slash: bool | None = None


class DeleteConfirmation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    confirm: str  # the project's slug, typed again


_decode_rules = msgspec.json.Decoder(list[RouteRule]).decode


def project_of(row: asyncpg.Record) -> Project:
    return Project(
        row["id"], row["slug"], row["name"], list(row["allowed_origins"]),
        row["rate_limit_per_minute"], row["filter_bots"], _decode_rules(row["route_rules"]),
        row["keep_trailing_slash"], row["created_at"],
    )  # fmt: skip


def clean_origins(origins: list[str] | None) -> list[str] | None:
    """`scheme://host[:port]` only, as browsers send `Origin`; lower case, no slash."""
    if origins is None:
        return None
    cleaned: list[str] = []
    for origin in origins:
        parts = urlsplit(origin.strip())
        if (parts.scheme not in ("http", "https") or not parts.hostname or parts.username
                or parts.password or parts.path not in ("", "/") or parts.query
                or parts.fragment or "\x00" in origin):  # fmt: skip
            raise ApiError(400, CODE, f"allowed_origins: {origin!r} is not scheme://host[:port]")
        try:
            port = f":{parts.port}" if parts.port is not None else ""
        except ValueError:
            raise ApiError(400, CODE, f"allowed_origins: {origin!r} has a bad port") from None
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        cleaned.append(f"{parts.scheme}://{host}{port}")
    return sorted(set(cleaned))


def checked_rules(rules: list[RouteRule] | None) -> str | None:
    """The rules as the jsonb the workers read, once every pattern is safe to run."""
    if rules is None:
        return None
    try:
        check_rules(rules)
    except UnsafePattern as exc:
        raise ApiError(400, CODE, str(exc)) from None
    return msgspec.json.encode(rules).decode()
