"""`vitals alert destination create|list|delete`: the webhooks a project's alerts are sent
to, worked on in the database like `vitals alert rule` (services/cli/alerts.py says why).
The URL is checked as the admin API checks it (VITALS_ALERTS_ALLOW_PRIVATE_DESTINATIONS
lets it be loopback or private); the signing secret is printed once, at creation."""

from __future__ import annotations

import argparse
from typing import Any

import asyncpg
import msgspec

from services.cli import catalog
from services.contracts.alert_statements import (
    DELETE_DESTINATION,
    INSERT_DESTINATION,
    MAX_DESTINATIONS_PER_PROJECT,
    SELECT_DESTINATIONS,
    new_secret,
)
from services.contracts.alerts import (
    AlertDestination,
    CreatedDestination,
    DestinationSpec,
    DestinationUrlError,
    check_destination_url,
)
from services.contracts.settings import Settings


async def cmd_destination_create(settings: Settings, args: argparse.Namespace) -> None:
    try:
        spec = msgspec.convert(
            {"name": args.name, "url": args.url, "format": args.format}, DestinationSpec
        )
        await check_destination_url(
            spec.url, allow_private=settings.alerts_allow_private_destinations
        )
    except (msgspec.ValidationError, DestinationUrlError) as exc:
        raise ValueError(f"invalid alert destination: {exc}") from None
    secret = new_secret()
    connection = await catalog.connect(settings)
    try:
        project = await catalog.get_project(connection, args.project)
        row = await connection.fetchrow(
            INSERT_DESTINATION, project.id, spec.name, spec.url, spec.format, secret,
            MAX_DESTINATIONS_PER_PROJECT,
        )  # fmt: skip
    except asyncpg.UniqueViolationError:
        raise catalog.CatalogError(f"the project has a destination named {spec.name!r}") from None
    finally:
        await connection.close()
    if row is None:
        detail = f"a project has at most {MAX_DESTINATIONS_PER_PROJECT} destinations"
        raise catalog.CatalogError(detail)
    destination = msgspec.convert(dict(row.items()), AlertDestination)
    _print(CreatedDestination(secret, destination))


async def cmd_destination_list(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    try:
        project = await catalog.get_project(connection, args.project)
        rows = await connection.fetch(SELECT_DESTINATIONS, project.id)
    finally:
        await connection.close()
    _print([msgspec.convert(dict(row.items()), AlertDestination) for row in rows])


async def cmd_destination_delete(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    try:
        project = await catalog.get_project(connection, args.project)
        deleted = await connection.fetchval(DELETE_DESTINATION, project.id, args.id)
    finally:
        await connection.close()
    if deleted is None:
        raise catalog.CatalogError(f"project {project.slug} has no destination {args.id}")
    print(f"deleted alert destination {args.id} of {project.slug}")


def register(alert: Any) -> None:
    """`vitals alert destination …` under `vitals alert`'s subcommands."""
    destination = alert.add_parser(
        "destination", help="webhooks the alerts are sent to"
    ).add_subparsers(title="alert destination commands")
    create = destination.add_parser("create", help="add a webhook (its secret is printed once)")
    create.set_defaults(command=cmd_destination_create)
    create.add_argument("--project", required=True, help="project slug or id")
    create.add_argument("--name", required=True, help="e.g. '#web-perf'")
    create.add_argument("--url", required=True, help="https://…")
    create.add_argument("--format", choices=["generic", "slack"], default="generic")
    listing = destination.add_parser("list", help="a project's destinations (no secrets)")
    listing.set_defaults(command=cmd_destination_list)
    listing.add_argument("--project", required=True, help="project slug or id")
    remove = destination.add_parser("delete", help="remove a destination")
    remove.set_defaults(command=cmd_destination_delete)
    remove.add_argument("id", type=int, help="the destination's id, from `list`")
    remove.add_argument("--project", required=True, help="project slug or id")


def _print(value: object) -> None:
    print(msgspec.json.format(msgspec.json.encode(value)).decode())
