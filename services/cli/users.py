"""`vitals user create|grant|password|revoke|remove`: dashboard users, their passwords,
their projects with a role in each (admin or viewer), instance owners (`create --owner`:
admin of every project, may create projects and users through the admin API), and their
tokens.

Changing a password (`create` for an existing email, or `password`) and `revoke` bump
the user's token generation, so every token issued before stops working within
VITALS_TOKEN_CHECK_TTL_S seconds, in the query service, the admin service and on live
Socket.IO feeds. `grant` bumps it too when it takes admin away, since tokens carry roles.
"""

from __future__ import annotations

import argparse
import getpass
from typing import Any

import asyncpg
from argon2 import PasswordHasher

from services.cli import catalog
from services.contracts.settings import Settings
from services.contracts.tokens import ROLES

MIN_PASSWORD_LENGTH = 8
# Grants (a new one, or a changed role) and whether any was an admin made a viewer.
GRANT_ROLE = """
WITH wanted AS (
    SELECT u.id AS user_id, p AS project_id FROM users AS u, unnest($2::int[]) AS p
    WHERE u.email = $1
), before AS (
    SELECT up.project_id, up.role FROM user_projects AS up JOIN wanted USING (user_id, project_id)
), granted AS (
    INSERT INTO user_projects (user_id, project_id, role)
    SELECT user_id, project_id, $3 FROM wanted
    ON CONFLICT (user_id, project_id) DO UPDATE SET role = excluded.role
    RETURNING user_id
)
SELECT (SELECT count(*) FROM granted) AS granted,
       EXISTS (SELECT FROM before WHERE role = 'admin' AND $3 <> 'admin') AS demoted
"""
REVOKE_TOKENS = "UPDATE users SET token_generation = token_generation + 1 WHERE email = $1"
MAKE_OWNER = "UPDATE users SET is_owner = true WHERE email = $1"
# Grants and set-password links go with the row (ON DELETE CASCADE); the user's tokens
# name a user that no longer exists, which every service's generation check refuses.
REMOVE_USER = "DELETE FROM users WHERE email = $1 RETURNING id"


def _new_password_hash(given: str | None) -> str:
    password = given or getpass.getpass("password: ")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return PasswordHasher().hash(password)


async def grant_role(
    connection: asyncpg.Connection, email: str, project_ids: list[int], role: str
) -> None:
    """Grant the projects with `role`; taking admin away ends the user's tokens."""
    project_ids = sorted(set(project_ids))  # one upsert per row: ON CONFLICT needs that
    async with connection.transaction():
        row = await connection.fetchrow(GRANT_ROLE, email, project_ids, role)
        assert row is not None  # an aggregate row
        if row["granted"] != len(project_ids):
            raise catalog.CatalogError(f"no user {email!r}")
        if row["demoted"]:
            await connection.execute(REVOKE_TOKENS, email)


async def cmd_user_create(settings: Settings, args: argparse.Namespace) -> None:
    password_hash = _new_password_hash(args.password)
    connection = await catalog.connect(settings)
    try:
        project_ids = [(await catalog.get_project(connection, p)).id for p in args.project]
        async with connection.transaction():
            user_id = await catalog.upsert_user(connection, args.email, password_hash, project_ids)
            if args.role is not None:  # otherwise: new grants are viewers, others unchanged
                await grant_role(connection, args.email, project_ids, args.role)
            if args.owner:
                await connection.execute(MAKE_OWNER, args.email)
    finally:
        await connection.close()
    if args.owner:
        print(f"user {user_id} ({args.email}) owns the instance: admin of every project")
    else:
        print(f"user {user_id} ({args.email}) may see projects {project_ids}")


async def cmd_user_grant(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    try:
        project_ids = [(await catalog.get_project(connection, p)).id for p in args.project]
        await grant_role(connection, args.email, project_ids, args.role)
    finally:
        await connection.close()
    print(f"{args.email} is {args.role} of projects {sorted(set(project_ids))}")


async def cmd_user_password(settings: Settings, args: argparse.Namespace) -> None:
    password_hash = _new_password_hash(args.password)
    connection = await catalog.connect(settings)
    try:
        await catalog.set_password(connection, args.email, password_hash)
    finally:
        await connection.close()
    print(f"password of {args.email} changed; their earlier tokens no longer work")


async def cmd_user_revoke(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    try:
        await catalog.revoke_tokens(connection, args.email)
    finally:
        await connection.close()
    print(f"every token issued to {args.email} so far is revoked")


async def cmd_user_remove(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    try:
        user_id = await connection.fetchval(REMOVE_USER, args.email)
    finally:
        await connection.close()
    if user_id is None:
        raise catalog.CatalogError(f"no user {args.email!r}")
    print(f"user {user_id} ({args.email}) removed; their tokens no longer work")


def register(commands: Any) -> None:
    """`vitals user …` on the main parser's subcommands (argparse's private action type)."""
    user = commands.add_parser("user", help="dashboard users").add_subparsers(title="user commands")
    create = user.add_parser("create", help="create a user or reset a password")
    create.set_defaults(command=cmd_user_create)
    create.add_argument("email")
    create.add_argument("--password", help="prompted for when omitted")
    create.add_argument(
        "--project", action="append", default=[], help="project the user may see (repeat)"
    )
    create.add_argument(
        "--role", choices=ROLES, help="in those projects; default: viewer for new grants"
    )
    create.add_argument(
        "--owner", action="store_true",
        help="owns the instance: admin of every project, may create projects and users",
    )  # fmt: skip
    grant = user.add_parser("grant", help="give a user projects, as admin or viewer")
    grant.set_defaults(command=cmd_user_grant)
    grant.add_argument("email")
    grant.add_argument("--project", action="append", required=True, help="slug or id (repeat)")
    grant.add_argument("--role", choices=ROLES, required=True)
    password = user.add_parser("password", help="change a password, ending tokens")
    password.set_defaults(command=cmd_user_password)
    password.add_argument("email")
    password.add_argument("--password", help="prompted for when omitted")
    revoke = user.add_parser("revoke", help="end every token issued to a user so far")
    revoke.set_defaults(command=cmd_user_revoke)
    revoke.add_argument("email")
    remove = user.add_parser("remove", help="delete a user, their access and their tokens")
    remove.set_defaults(command=cmd_user_remove)
    remove.add_argument("email")
