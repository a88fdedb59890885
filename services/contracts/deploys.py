"""Deploy markers: when a release went out. Recorded by `vitals deploy record` and by the
admin service for a deploy token; read by the query service (migrations/0014_deploys.sql).
"""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import msgspec

from services.contracts.wire import MAX_RELEASE

MAX_URL = 2048
MAX_DESCRIPTION = 1000

INSERT = """
INSERT INTO deploys (project_id, release, at, url, description)
VALUES ($1, $2, coalesce($3, now()), $4, $5)
RETURNING id, release, at, url, description
"""


class Deploy(msgspec.Struct, frozen=True):
    id: int
    release: str
    at: datetime
    url: str | None
    description: str | None


def check_deploy(release: str, url: str | None, description: str | None) -> None:
    """Refused with a message before anything is written; PostgreSQL text holds no NUL."""
    fields = {"release": release, "url": url or "", "description": description or ""}
    for name, value in fields.items():
        if "\x00" in value:
            raise ValueError(f"the {name} must not contain NUL characters")
    if not 1 <= len(release) <= MAX_RELEASE:
        raise ValueError(f"the release must have 1 to {MAX_RELEASE} characters")
    if len(fields["url"]) > MAX_URL:
        raise ValueError(f"the url must have at most {MAX_URL} characters")
    if len(fields["description"]) > MAX_DESCRIPTION:
        raise ValueError(f"the description must have at most {MAX_DESCRIPTION} characters")


def parse_at(text: str | None) -> datetime | None:
    """ISO 8601; without an offset it is UTC. A ValueError says what was wrong."""
    if text is None:
        return None
    if "\x00" in text:
        raise ValueError("the time must not contain NUL characters")
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


async def record_deploy(
    connection: asyncpg.Connection | asyncpg.Pool, project_id: int, release: str, *,
    at: datetime | None = None, url: str | None = None, description: str | None = None,
) -> Deploy:  # fmt: skip
    check_deploy(release, url, description)
    row = await connection.fetchrow(INSERT, project_id, release, at, url, description)
    assert row is not None  # INSERT … RETURNING of one row
    return Deploy(**dict(row))
