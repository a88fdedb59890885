"""`vitals deploy-token create|list|revoke`: the credentials CI jobs record deploys and
check releases with (services/contracts/deploy_tokens.py). A token is printed once, at
creation; afterwards only its hint (first characters) and label identify it."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

import msgspec

from services.cli import catalog
from services.contracts.deploy_tokens import new_token, token_hint, token_sha256
from services.contracts.settings import Settings

MAX_LABEL = 100

INSERT = """
INSERT INTO deploy_tokens (project_id, label, token_sha256, hint) VALUES ($1, $2, $3, $4)
RETURNING id, project_id, label, hint, created_at, last_used_at, revoked_at
"""
SELECT = """
SELECT id, project_id, label, hint, created_at, last_used_at, revoked_at FROM deploy_tokens
WHERE project_id = $1 ORDER BY id
"""
# Revoking twice keeps the first time; a token of another project is not found.
REVOKE = """
UPDATE deploy_tokens SET revoked_at = coalesce(revoked_at, now())
WHERE project_id = $1 AND id = $2
RETURNING id, project_id, label, hint, created_at, last_used_at, revoked_at
"""


class DeployToken(msgspec.Struct, frozen=True):
    id: int
    project_id: int
    label: str
    hint: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class CreatedToken(msgspec.Struct, frozen=True):
    token: str  # the only time it is shown
    deploy_token: DeployToken


def check_label(label: str) -> None:
    if "\x00" in label or not 1 <= len(label) <= MAX_LABEL:
        raise ValueError(f"the label must have 1 to {MAX_LABEL} characters and no NUL")


async def cmd_create(settings: Settings, args: argparse.Namespace) -> None:
    check_label(args.label)
    token = new_token()
    connection = await catalog.connect(settings)
    try:
        project = await catalog.get_project(connection, args.project)
        row = await connection.fetchrow(
            INSERT, project.id, args.label, token_sha256(token), token_hint(token)
        )
    finally:
        await connection.close()
    assert row is not None  # INSERT … RETURNING of one row
    _print(CreatedToken(token, DeployToken(**dict(row))))


async def cmd_list(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    try:
        project = await catalog.get_project(connection, args.project)
        rows = await connection.fetch(SELECT, project.id)
    finally:
        await connection.close()
    _print([DeployToken(**dict(row)) for row in rows])


async def cmd_revoke(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    try:
        project = await catalog.get_project(connection, args.project)
        row = await connection.fetchrow(REVOKE, project.id, args.id)
    finally:
        await connection.close()
    if row is None:
        raise catalog.CatalogError(f"project {project.slug} has no deploy token {args.id}")
    _print(DeployToken(**dict(row)))


def register(commands: Any) -> None:
    """`vitals deploy-token …` on the main parser's subcommands."""
    tokens = commands.add_parser(
        "deploy-token", help="CI credentials that record deploys and check releases"
    ).add_subparsers(title="deploy-token commands")
    create = tokens.add_parser("create", help="make a token (printed once)")
    create.set_defaults(command=cmd_create)
    create.add_argument("--project", required=True, help="project slug or id")
    create.add_argument("--label", required=True, help="who uses it, e.g. 'GitHub Actions'")
    listing = tokens.add_parser("list", help="a project's tokens (hints, never the tokens)")
    listing.set_defaults(command=cmd_list)
    listing.add_argument("--project", required=True, help="project slug or id")
    revoke = tokens.add_parser("revoke", help="stop a token working, at once")
    revoke.set_defaults(command=cmd_revoke)
    revoke.add_argument("--project", required=True, help="project slug or id")
    revoke.add_argument("id", type=int, help="the token's id, from `list`")


def _print(value: object) -> None:
    print(msgspec.json.format(msgspec.json.encode(value)).decode())
