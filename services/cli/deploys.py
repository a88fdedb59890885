"""`vitals deploy record|list`: deploy markers, from a shell (a CI job without database
access will use a deploy token instead, issue 13)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec

from services.cli import catalog
from services.contracts.settings import Settings

MAX_RELEASE = 64  # the wire's (contracts/wire.py MAX_RELEASE) and the table's CHECK
MAX_URL = 2048
MAX_DESCRIPTION = 1000

INSERT = """
INSERT INTO deploys (project_id, release, at, url, description)
VALUES ($1, $2, coalesce($3, now()), $4, $5)
RETURNING id, release, at, url, description
"""
SELECT = """
SELECT id, release, at, url, description FROM deploys
WHERE project_id = $1 ORDER BY at DESC, id DESC LIMIT $2
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
    if text is None:
        return None
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))  # ValueError: said as is
    return at if at.tzinfo else at.replace(tzinfo=UTC)


async def record_deploy(
    connection: asyncpg.Connection, project_id: int, release: str, *,
    at: datetime | None = None, url: str | None = None, description: str | None = None,
) -> Deploy:  # fmt: skip
    check_deploy(release, url, description)
    row = await connection.fetchrow(INSERT, project_id, release, at, url, description)
    assert row is not None  # INSERT … RETURNING of one row
    return Deploy(**dict(row))


async def cmd_deploy_record(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    try:
        project = await catalog.get_project(connection, args.project)
        deploy = await record_deploy(
            connection, project.id, args.release, at=parse_at(args.at), url=args.url,
            description=args.description,
        )  # fmt: skip
    finally:
        await connection.close()
    print(msgspec.json.format(msgspec.json.encode(deploy)).decode())


async def cmd_deploy_list(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    try:
        project = await catalog.get_project(connection, args.project)
        rows = await connection.fetch(SELECT, project.id, args.limit)
    finally:
        await connection.close()
    deploys = [Deploy(**dict(row)) for row in rows]
    print(msgspec.json.format(msgspec.json.encode(deploys)).decode())


def register(commands: Any) -> None:
    """`vitals deploy …` on the main parser's subcommands (argparse's private action type)."""
    deploy = commands.add_parser("deploy", help="deploy markers").add_subparsers(
        title="deploy commands"
    )
    record = deploy.add_parser("record", help="record that a release went out")
    record.set_defaults(command=cmd_deploy_record)
    record.add_argument("--project", required=True, help="project slug or id")
    record.add_argument("--release", required=True, help="as the SDK's release option names it")
    record.add_argument("--at", help="when (ISO 8601, UTC without an offset); default now")
    record.add_argument("--url", help="a link: the CI run, the pull request, the changelog")
    record.add_argument("--description")
    listing = deploy.add_parser("list", help="list a project's deploys, newest first")
    listing.set_defaults(command=cmd_deploy_list)
    listing.add_argument("--project", required=True, help="project slug or id")
    listing.add_argument("--limit", type=_count, default=50)


def _count(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 10_000:
        raise argparse.ArgumentTypeError("between 1 and 10000")
    return value
