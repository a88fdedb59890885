"""`/v1/admin/users`: every account of the instance (owners only). An owner adds users
(each with a one-time set-password link), makes or unmakes owners, issues a new link
(a forgotten password, an expired invitation) and removes users; project access is
given and taken per project, through the members endpoints (members.py), which an
owner may use on every project. The last owner cannot be removed or demoted, and nobody
removes themselves here: the instance is never left without an owner by accident
(`vitals user` on the server can still do anything)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from services.admin.json_bodies import body_errors
from services.admin.members import Email
from services.admin.openapi import SIGNED_IN, WRITE
from services.admin.password_links import PasswordLink, issue_link
from services.admin.user_auth import claims_of, require_owner
from services.contracts.database_errors import guarded
from services.contracts.errors import ApiError
from services.contracts.tokens import Role

CODE = "invalid_user"
PATH = "/v1/admin/users"
ONE = PATH + "/{user_id:int}"
USER_IDS = range(1, 2**31)

USER_COLUMNS = """u.id, u.email, u.is_owner AS owner, u.created_at,
    u.password_set_at IS NULL AS invited,
    coalesce(jsonb_object_agg(up.project_id, up.role)
             FILTER (WHERE up.project_id IS NOT NULL), '{}')::text AS projects"""
SELECT_USERS = f"""
SELECT {USER_COLUMNS} FROM users AS u LEFT JOIN user_projects AS up ON up.user_id = u.id
WHERE $1::int IS NULL OR u.id = $1
GROUP BY u.id ORDER BY u.email
"""
INSERT_USER = """
INSERT INTO users (email, password_hash, is_owner, password_set_at) VALUES ($1, '', $2, NULL)
ON CONFLICT (email) DO NOTHING RETURNING id
"""
LIVE_PROJECTS = "SELECT id FROM projects WHERE id = ANY($1::int[]) AND deleted_at IS NULL"
GRANT = """
INSERT INTO user_projects (user_id, project_id, role)
SELECT $1, p, r FROM unnest($2::int[], $3::text[]) AS g (p, r)
"""
# Serialises owner changes, so two owners demoting each other cannot both succeed.
LOCK_OWNERS = "SELECT id FROM users WHERE is_owner ORDER BY id FOR UPDATE"
SELECT_OWNER = "SELECT is_owner FROM users WHERE id = $1"
SET_OWNER = """
UPDATE users SET is_owner = $2,
    token_generation = token_generation + CASE WHEN is_owner AND NOT $2 THEN 1 ELSE 0 END
WHERE id = $1
"""
DELETE_USER = "DELETE FROM users WHERE id = $1"


class User(msgspec.Struct, frozen=True):
    id: int
    email: str
    owner: bool
    invited: bool  # has not set a password yet
    created_at: datetime
    projects: dict[str, Role]  # {"<project id>": role}


class Grant(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    project_id: int
    role: Role = "viewer"


class NewUser(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    email: Email
    owner: bool = False
    projects: list[Grant] = msgspec.field(default_factory=list)


class UserChanges(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    owner: bool


class CreatedUser(msgspec.Struct, frozen=True):
    user: User
    set_password_link: PasswordLink


_decode_projects = msgspec.json.Decoder(dict[str, Role]).decode


def user_of(row: asyncpg.Record) -> User:
    return User(
        row["id"], row["email"], row["owner"], row["invited"], row["created_at"],
        _decode_projects(row["projects"]),
    )  # fmt: skip


def no_user(user_id: int) -> ApiError:
    return ApiError(404, "user_not_found", f"there is no user {user_id}")


async def one_user(connection: Any, user_id: int) -> User:
    row = await connection.fetchrow(SELECT_USERS, user_id)
    if row is None:
        raise no_user(user_id)
    return user_of(row)


@get(
    PATH,
    responses=SIGNED_IN,
    guards=[require_owner],
    summary="Every user, with their projects (owners)",
)
async def list_users(request: Request[Any, Any, Any]) -> list[User]:
    rows = await guarded(lambda: request.app.state.db.fetch(SELECT_USERS, None))
    return [user_of(row) for row in rows]


@post(PATH, responses=WRITE, guards=[require_owner], request_max_body_size=16 * 1024,
      exception_handlers=body_errors(CODE),
      summary="Add a user (owners); the answer holds their set-password link")  # fmt: skip
async def create_user(
    request: Request[Any, Any, Any], data: JSONBody[NewUser]
) -> Response[CreatedUser]:
    new = data
    grants = {g.project_id: g.role for g in new.projects}
    state, creator = request.app.state, claims_of(request).uid

    async def create() -> CreatedUser:
        async with state.db.acquire() as connection, connection.transaction():
            user_id = await connection.fetchval(INSERT_USER, new.email, new.owner)
            if user_id is None:
                raise ApiError(409, "user_exists", f"{new.email} has an account already")
            live = {r["id"] for r in await connection.fetch(LIVE_PROJECTS, list(grants))}
            if missing := sorted(set(grants) - live):
                raise ApiError(404, "project_not_found", f"there is no project {missing[0]}")
            await connection.execute(GRANT, user_id, list(grants), list(grants.values()))
            link = await issue_link(connection, state.settings, user_id, creator)
            return CreatedUser(await one_user(connection, user_id), link)

    return Response(await guarded(create), status_code=201)


@patch(ONE, responses=WRITE, guards=[require_owner], request_max_body_size=1024,
       exception_handlers=body_errors(CODE),
       summary="Make a user an owner or not (owners)")  # fmt: skip
async def update_user(
    request: Request[Any, Any, Any], user_id: FromPath[int], data: JSONBody[UserChanges]
) -> User:
    changes = data
    if user_id not in USER_IDS:
        raise no_user(user_id)
    db = request.app.state.db

    async def update() -> User:
        async with db.acquire() as connection, connection.transaction():
            if not changes.owner and await _only_owner(connection, user_id):
                raise ApiError(409, "last_owner", "the instance's last owner stays an owner")
            await connection.execute(SET_OWNER, user_id, changes.owner)
            return await one_user(connection, user_id)

    return await guarded(update)


async def _only_owner(connection: Any, user_id: int) -> bool:
    """Whether the user is the instance's last owner, with the owners locked until the
    transaction ends (two owners demoting each other at once cannot leave none)."""
    owners = [r["id"] for r in await connection.fetch(LOCK_OWNERS)]
    if await connection.fetchval(SELECT_OWNER, user_id) is None:
        raise no_user(user_id)
    return owners == [user_id]


@delete(ONE, responses=WRITE, guards=[require_owner], status_code=HTTP_204_NO_CONTENT,
        summary="Remove a user and their access (owners)")  # fmt: skip
async def remove_user(request: Request[Any, Any, Any], user_id: FromPath[int]) -> None:
    if user_id not in USER_IDS:
        raise no_user(user_id)
    if user_id == claims_of(request).uid:
        raise ApiError(409, "cannot_remove_self", "another owner (or `vitals user remove`) can")
    db = request.app.state.db

    async def remove() -> None:
        async with db.acquire() as connection, connection.transaction():
            if await _only_owner(connection, user_id):
                raise ApiError(409, "last_owner", "the instance's last owner cannot be removed")
            # Their grants and links go with them (ON DELETE CASCADE); their tokens name a
            # user that no longer exists, which the generation check refuses.
            await connection.execute(DELETE_USER, user_id)

    await guarded(remove)


@post(ONE + "/password-link", responses=WRITE, guards=[require_owner], status_code=201,
      summary="A new one-time set-password link for a user (owners)")  # fmt: skip
async def new_password_link(
    request: Request[Any, Any, Any], user_id: FromPath[int]
) -> PasswordLink:
    if user_id not in USER_IDS:
        raise no_user(user_id)
    state, issuer = request.app.state, claims_of(request).uid

    async def issue() -> PasswordLink:
        async with state.db.acquire() as connection, connection.transaction():
            if await connection.fetchval(SELECT_OWNER, user_id) is None:
                raise no_user(user_id)
            return await issue_link(connection, state.settings, user_id, issuer)

    return await guarded(issue)


USER_HANDLERS = [list_users, create_user, update_user, remove_user, new_password_link]
