"""`vitals`: the operator's command line (migrations, projects, keys, users, tokens,
deploys, alerts)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeAlias

import asyncpg
import msgspec
import redis

from services.cli import (
    alerts,
    catalog,
    check,
    deploy_tokens,
    deploys,
    jobs,
    project_deletion,
    supervisor,
    users,
)  # fmt: skip
from services.cli.migrations import MigrationError, migrate
from services.cli.roles import set_login_passwords
from services.cli.service_logs import LogOptions
from services.contracts import key_registry as registry
from services.contracts.redis_client import async_redis
from services.contracts.settings import Settings, SettingsError
from services.contracts.tokens import ROLES, check_lifetime, mint_token

Command = Callable[[Settings, argparse.Namespace], Awaitable[None]]
# Quoted: argparse's action class is generic only to type checkers.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "command"):
        parser.print_help()
        sys.exit(2)
    try:
        settings = Settings.from_env()
        asyncio.run(args.command(settings, args))
    except (SettingsError, MigrationError, catalog.CatalogError, ValueError) as exc:
        print(f"vitals: error: {exc}", file=sys.stderr)
        sys.exit(1)
    except (OSError, asyncpg.PostgresError, redis.RedisError) as exc:
        print(f"vitals: cannot reach a dependency: {exc}", file=sys.stderr)
        sys.exit(1)


def _print(value: object) -> None:
    print(msgspec.json.format(msgspec.json.encode(value)).decode())


async def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    try:
        applied = await migrate(connection)
        roles = await set_login_passwords(connection, settings)
    finally:
        await connection.close()
    print(f"applied {len(applied)} migration(s)" + "".join(f"\n  {m.path.name}" for m in applied))
    for role in roles:
        print(f"set the password of {role} from settings")


async def cmd_project_create(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    try:
        project = await catalog.create_project(
            connection,
            slug=args.slug,
            name=args.name or args.slug,
            allowed_origins=args.origin,
            rate_limit_per_minute=args.rate_limit,
            filter_bots=not args.keep_bots,
        )
    finally:
        await connection.close()
    _print(project)


async def cmd_project_list(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    try:
        _print(await catalog.list_projects(connection))
    finally:
        await connection.close()


async def cmd_project_update(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    client = async_redis(settings)
    try:
        project = await catalog.get_project(connection, args.project)
        filter_bots = None if args.filter_bots is None else args.filter_bots == "on"
        project = await catalog.update_project(
            connection,
            project.id,
            allowed_origins=args.origin,
            rate_limit_per_minute=args.rate_limit,
            filter_bots=filter_bots,
        )
        # Ingest reads project settings from the registry, so republish this project's keys.
        await registry.publish(client, await registry.active_key_access(connection, project.id))
    finally:
        await connection.close()
        await client.aclose()
    _print(project)


async def cmd_key_create(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    client = async_redis(settings)
    try:
        project = await catalog.get_project(connection, args.project)
        key = await catalog.create_key(connection, project.id, args.label)
        await registry.publish(client, await registry.active_key_access(connection, project.id))
    finally:
        await connection.close()
        await client.aclose()
    print(key)


async def cmd_key_revoke(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    client = async_redis(settings)
    try:
        hashes = await catalog.revoke_key(connection, args.key)
        await registry.withdraw(client, hashes)
    finally:
        await connection.close()
        await client.aclose()
    print(f"revoked {len(hashes)} key(s)")


async def cmd_key_list(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    try:
        project_id = (
            (await catalog.get_project(connection, args.project)).id if args.project else None
        )
        _print(await catalog.list_keys(connection, project_id))
    finally:
        await connection.close()


async def cmd_keys_sync(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    client = async_redis(settings)
    try:
        # The workers run the same rebuild by themselves whenever the registry is missing.
        count = await registry.rebuild(client, lambda: registry.active_key_access(connection))
    finally:
        await connection.close()
        await client.aclose()
    print(f"registry rebuilt with {count} active key(s)")


async def cmd_token(settings: Settings, args: argparse.Namespace) -> None:
    check_lifetime(settings, args.lifetime)
    connection = await catalog.connect(settings)
    try:
        project_ids = [(await catalog.get_project(connection, p)).id for p in args.project]
    finally:
        await connection.close()
    roles = dict.fromkeys(project_ids, args.role)
    print(
        mint_token(
            settings,
            subject=args.subject,
            projects=project_ids,
            lifetime_s=args.lifetime,
            roles=roles,
        )
    )


async def cmd_up(settings: Settings, args: argparse.Namespace) -> None:
    services = supervisor.default_services(args.host, args.base_port, args.workers)
    if not args.quiet:
        for service in services:
            print(f"  {service.name:<10} http://{args.host}:{service.port}")
    extra = []
    if args.demo_key:
        ingest = f"http://{args.host}:{args.base_port + 1}"
        command = [sys.executable, "-m", "services.cli.main", "demo", "--endpoint", ingest,
                   "--key", args.demo_key, "--rate", str(args.demo_rate)]  # fmt: skip
        extra.append(supervisor.Service("demo", command, 0))
    if args.dashboard_port:
        extra.append(supervisor.dashboard_service(args.host, args.dashboard_port))
    logs = LogOptions(args.log_dir, follow=args.follow) if args.log_dir else None
    sys.stdout.flush()
    sys.exit(supervisor.run(services, extra, logs=logs))


async def cmd_demo(settings: Settings, args: argparse.Namespace) -> None:
    # Imported here: demo needs httpx, which (with click installed) imports its own command
    # line too, half a second that every other `vitals` command would pay at start.
    from services.cli import demo  # noqa: PLC0415

    await demo.run_demo(args.endpoint, args.key, args.rate, args.duration, args.seed)


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def _add_running_commands(add: Callable[..., argparse.ArgumentParser]) -> None:
    demo_parser = add("demo", cmd_demo, "send realistic demo traffic to an ingest endpoint")
    demo_parser.add_argument("--endpoint", default="http://127.0.0.1:8001")
    demo_parser.add_argument("--key", required=True)
    demo_parser.add_argument("--rate", type=float, default=2.0, help="page views per second")
    demo_parser.add_argument("--duration", type=float, help="seconds; forever when omitted")
    demo_parser.add_argument("--seed", type=int)

    up = add("up", cmd_up, "run every service until Ctrl-C (what `make run` uses)")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument(
        "--base-port",
        type=_positive_int,
        default=8000,
        help="ingest +1, query +2, realtime +4, workers +10…",
    )
    up.add_argument("--workers", type=_positive_int, default=2)
    up.add_argument("--quiet", action="store_true", help="do not list the services' URLs")
    up.add_argument("--demo-key", help="also send demo traffic with this ingest key")
    up.add_argument("--dashboard-port", type=_positive_int, help="also serve dashboard/dist here")
    up.add_argument("--demo-rate", type=float, default=2.0, help="demo page views per second")
    up.add_argument(
        "--log-dir",
        help="write each service's output to DIR/<name>.log; the terminal shows only"
        " services up or down and their errors",
    )
    up.add_argument(
        "--follow", action="store_true", help="with --log-dir, also show every line of output"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vitals", description=__doc__)
    sub = parser.add_subparsers(title="commands")

    def add(
        name: str, command: Command, help_text: str, into: Subcommands = sub
    ) -> argparse.ArgumentParser:
        command_parser: argparse.ArgumentParser = into.add_parser(name, help=help_text)
        command_parser.set_defaults(command=command)
        return command_parser

    add("migrate", cmd_migrate, "apply pending database migrations")

    project = sub.add_parser("project", help="create, list or update projects").add_subparsers(
        title="project commands"
    )
    create = add("create", cmd_project_create, "create a project", project)
    create.add_argument("slug")
    create.add_argument("--name")
    create.add_argument(
        "--origin", action="append", default=[], help="allowed Origin (repeat); none means any"
    )
    create.add_argument(
        "--rate-limit", type=_positive_int, default=60_000, help="beacons per minute"
    )
    create.add_argument(
        "--keep-bots", action="store_true", help="store beacons from bots and headless browsers"
    )
    add("list", cmd_project_list, "list projects", project)
    update = add("update", cmd_project_update, "change a project's ingest settings", project)
    update.add_argument("project")
    update.add_argument(
        "--origin", action="append", help="allowed Origin (repeat); replaces the list"
    )
    update.add_argument("--rate-limit", type=_positive_int)
    update.add_argument("--filter-bots", choices=["on", "off"])
    project_deletion.add_delete(
        project.add_parser("delete", help="delete a project and all its data (asks for the slug)")
    )

    key = sub.add_parser("key", help="create, revoke or list ingest keys").add_subparsers(
        title="key commands"
    )
    key_create = add("create", cmd_key_create, "create an ingest key (printed once)", key)
    key_create.add_argument("project")
    key_create.add_argument("--label", default="")
    key_revoke = add("revoke", cmd_key_revoke, "revoke a key by its value or displayed prefix", key)
    key_revoke.add_argument("key")
    key_list = add("list", cmd_key_list, "list keys (prefixes only)", key)
    key_list.add_argument("project", nargs="?")

    keys = sub.add_parser("keys", help="key registry maintenance").add_subparsers(
        title="keys commands"
    )
    add("sync", cmd_keys_sync, "rebuild the Redis key registry from the database", keys)

    users.register(sub)
    deploys.register(sub)
    deploy_tokens.register(sub)
    alerts.register(sub)
    check.register(sub)
    failed_jobs = sub.add_parser("jobs", help="the beacon queue's failed jobs").add_subparsers(
        title="jobs commands"
    )
    add("failed", jobs.cmd_failed, "list jobs in the failed registry", failed_jobs)
    add("retry-failed", jobs.cmd_retry_failed, "requeue every failed job", failed_jobs)

    token = add("token", cmd_token, "mint a dashboard/realtime JWT")
    token.add_argument(
        "--project", action="append", required=True, help="project slug or id (repeat)"
    )
    token.add_argument(
        "--lifetime",
        type=_positive_int,
        default=3600,
        help="seconds, at most VITALS_JWT_MAX_LIFETIME_S (86400 by default)",
    )
    token.add_argument("--subject", default="cli")
    token.add_argument(
        "--role", choices=ROLES, default="viewer",
        help="in every project named; admin may change alert rules (the token cannot be"
        " revoked alone: keep --lifetime short)",
    )  # fmt: skip
    _add_running_commands(add)
    return parser


if __name__ == "__main__":
    main()
