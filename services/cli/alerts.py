"""`vitals alert rule create|list|update|delete`: a project's alert rules, from the
operator's shell (`vitals alert destination …`: services/cli/alert_destinations.py).

Like every other `vitals` command that manages something (users, keys, deploy tokens),
it works on the database directly: it runs where `vitals migrate` runs, with
VITALS_DATABASE_URL, and needs neither a running admin service nor a JWT. The admin API
(services/admin/alert_rules.py) is the same thing for the project's admins, without
database access. Both check a rule with the same shapes (services/contracts/alerts.py),
so the CLI cannot store what the API would refuse, and both keep the same cap.
"""

from __future__ import annotations

import argparse
from typing import Any

import asyncpg
import msgspec

from services.cli import alert_destinations, catalog
from services.contracts.alert_statements import (
    DELETE_RULE,
    INSERT_RULE,
    LOCK_RULE,
    MAX_RULES_PER_PROJECT,
    SELECT_RULES,
    UPDATE_RULE,
)
from services.contracts.alerts import AlertRule, RuleSpec, rule_columns, spec_fields
from services.contracts.settings import Settings

# Options whose value is the field's as given; the rest are mapped in `fields_from`.
PLAIN = {
    "name": "name", "statistic": "statistic", "comparison": "comparison",
    "threshold": "threshold", "window": "window_minutes", "min_samples": "min_samples",
    "route": "route", "country": "country", "browser": "browser",
    "silence": "silence_minutes", "hysteresis": "hysteresis_ratio",
    "resolve_after": "resolve_after_minutes", "cooldown": "cooldown_minutes",
}  # fmt: skip
CLEARABLE = ("route", "device", "country", "browser", "metrics", "devices")


def fields_from(args: argparse.Namespace, kind: str) -> dict[str, Any]:
    """The rule fields the options set: --metric/--device once for a threshold, repeated
    (a list) for a regression."""
    fields: dict[str, Any] = {
        field: getattr(args, option) for option, field in PLAIN.items()
        if getattr(args, option) is not None
    }  # fmt: skip
    if args.country is not None:
        fields["country"] = args.country.upper()
    for option, many in (("metric", "metrics"), ("device", "devices")):
        values = getattr(args, option)
        if values:
            one = values[0] if len(values) == 1 else values
            fields.update({many: values} if kind == "regression" else {option: one})
    if args.enabled is not None:
        fields["enabled"] = args.enabled
    return fields


def checked(fields: dict[str, Any]) -> RuleSpec:
    try:
        spec: RuleSpec = msgspec.convert(fields, RuleSpec)
    except msgspec.ValidationError as exc:
        raise ValueError(f"invalid alert rule: {exc}") from None
    return spec


async def stored(write: Any, name: str) -> asyncpg.Record | None:
    try:
        row: asyncpg.Record | None = await write()
    except asyncpg.UniqueViolationError:
        raise catalog.CatalogError(f"the project has a rule named {name!r}") from None
    except asyncpg.CheckViolationError as exc:
        raise ValueError(f"invalid alert rule: refused by {exc.constraint_name}") from None
    return row


async def cmd_rule_create(settings: Settings, args: argparse.Namespace) -> None:
    spec = checked({"kind": args.kind, **fields_from(args, args.kind)})
    connection = await catalog.connect(settings)
    try:
        project = await catalog.get_project(connection, args.project)
        params = rule_columns(spec)
        row = await stored(
            lambda: connection.fetchrow(INSERT_RULE, project.id, MAX_RULES_PER_PROJECT, *params),
            spec.name,
        )
    finally:
        await connection.close()
    if row is None:
        raise catalog.CatalogError(f"a project has at most {MAX_RULES_PER_PROJECT} alert rules")
    _print(msgspec.convert(dict(row.items()), AlertRule))


async def cmd_rule_list(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    try:
        project = await catalog.get_project(connection, args.project)
        rows = await connection.fetch(SELECT_RULES, project.id)
    finally:
        await connection.close()
    _print([msgspec.convert(dict(row.items()), AlertRule) for row in rows])


async def cmd_rule_update(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    try:
        project = await catalog.get_project(connection, args.project)

        async def update() -> asyncpg.Record | None:
            async with connection.transaction():
                current = await connection.fetchrow(LOCK_RULE, project.id, args.id)
                if current is None:
                    raise catalog.CatalogError(f"project {project.slug} has no rule {args.id}")
                rule = msgspec.convert(dict(current.items()), AlertRule)
                changes = fields_from(args, rule.kind) | dict.fromkeys(args.clear, None)
                spec = checked(spec_fields(rule) | changes)
                return await connection.fetchrow(
                    UPDATE_RULE, project.id, args.id, *rule_columns(spec)
                )

        row = await stored(update, args.name or "")
    finally:
        await connection.close()
    assert row is not None  # the row was locked
    _print(msgspec.convert(dict(row.items()), AlertRule))


async def cmd_rule_delete(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    try:
        project = await catalog.get_project(connection, args.project)
        deleted = await connection.fetchval(DELETE_RULE, project.id, args.id)
    finally:
        await connection.close()
    if deleted is None:
        raise catalog.CatalogError(f"project {project.slug} has no rule {args.id}")
    print(f"deleted alert rule {args.id} of {project.slug}")


def _rule_options(parser: argparse.ArgumentParser, *, creating: bool) -> None:
    parser.add_argument("--project", required=True, help="project slug or id")
    parser.add_argument("--name", required=creating)
    parser.add_argument("--metric", action="append", choices=["LCP", "INP", "CLS", "FCP", "TTFB"],
                        help="threshold: the metric; regression: one of them (repeat)")  # fmt: skip
    parser.add_argument("--statistic", choices=["p75", "good_share"])
    parser.add_argument("--comparison", choices=["above", "below"], help="fire when the value is…")
    parser.add_argument("--threshold", type=float, help="ms (CLS unitless; good_share 0 to 1)")
    parser.add_argument("--window", type=int, help="minutes (threshold)")
    parser.add_argument("--min-samples", type=int)
    parser.add_argument("--route")
    parser.add_argument("--device", action="append",
                        choices=["desktop", "mobile", "tablet", "other"],
                        help="threshold: filter; regression: one of them (repeat)")  # fmt: skip
    parser.add_argument("--country", help="ISO 3166 code, e.g. DE")
    parser.add_argument("--browser")
    parser.add_argument("--silence", type=int, help="minutes without beacons (silence)")
    parser.add_argument("--hysteresis", type=float, help="fraction of the threshold, 0 to 0.9")
    parser.add_argument("--resolve-after", type=int, help="minutes back to normal to resolve")
    parser.add_argument("--cooldown", type=int, help="minutes before it notifies again")
    enabled = parser.add_mutually_exclusive_group()
    enabled.add_argument("--enable", dest="enabled", action="store_const", const=True)
    enabled.add_argument("--disable", dest="enabled", action="store_const", const=False)


def register(commands: Any) -> None:
    """`vitals alert …` on the main parser's subcommands (argparse's private action type)."""
    alert = commands.add_parser("alert", help="alert rules and destinations").add_subparsers(
        title="alert commands"
    )
    rule = alert.add_parser("rule", help="a project's alert rules").add_subparsers(
        title="alert rule commands"
    )
    create = rule.add_parser("create", help="add a threshold, regression or silence rule")
    create.set_defaults(command=cmd_rule_create)
    create.add_argument("kind", choices=["threshold", "regression", "silence"])
    _rule_options(create, creating=True)
    listing = rule.add_parser("list", help="a project's rules")
    listing.set_defaults(command=cmd_rule_list)
    listing.add_argument("--project", required=True, help="project slug or id")
    update = rule.add_parser("update", help="change some of a rule's fields")
    update.set_defaults(command=cmd_rule_update)
    update.add_argument("id", type=int, help="the rule's id, from `list`")
    _rule_options(update, creating=False)
    update.add_argument("--clear", action="append", default=[], choices=CLEARABLE,
                        help="remove a filter or list (repeat)")  # fmt: skip
    remove = rule.add_parser("delete", help="delete a rule")
    remove.set_defaults(command=cmd_rule_delete)
    remove.add_argument("id", type=int, help="the rule's id, from `list`")
    remove.add_argument("--project", required=True, help="project slug or id")
    alert_destinations.register(alert)


def _print(value: object) -> None:
    print(msgspec.json.format(msgspec.json.encode(value)).decode())
