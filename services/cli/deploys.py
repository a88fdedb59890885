"""`vitals deploy record|list`: deploy markers, from a shell on the server (a CI job
without database access records them with a deploy token: services/admin)."""

from __future__ import annotations

import argparse
from typing import Any

import msgspec

from services.cli import catalog
from services.contracts.deploys import Deploy, parse_at, record_deploy
from services.contracts.settings import Settings

SELECT = """
SELECT id, release, at, url, description FROM deploys
WHERE project_id = $1 ORDER BY at DESC, id DESC LIMIT $2
"""


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
