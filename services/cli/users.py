"""`vitals user create|password|revoke`: dashboard users, their passwords and their tokens.

Changing a password (`create` for an existing email, or `password`) and `revoke` bump
the user's token generation, so every token issued before stops working within
VITALS_TOKEN_CHECK_TTL_S seconds, in the query service and on live Socket.IO feeds.
"""

from __future__ import annotations

import argparse
import getpass

from argon2 import PasswordHasher

from services.cli import catalog
from services.contracts.settings import Settings

MIN_PASSWORD_LENGTH = 8


def _new_password_hash(given: str | None) -> str:
    password = given or getpass.getpass("password: ")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return PasswordHasher().hash(password)


async def cmd_user_create(settings: Settings, args: argparse.Namespace) -> None:
    password_hash = _new_password_hash(args.password)
    connection = await catalog.connect(settings)
    try:
        project_ids = [(await catalog.get_project(connection, p)).id for p in args.project]
        user_id = await catalog.upsert_user(connection, args.email, password_hash, project_ids)
    finally:
        await connection.close()
    print(f"user {user_id} ({args.email}) may see projects {project_ids}")


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
