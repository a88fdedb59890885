"""`/v1/admin/projects/{project_id}/members`: who may see a project and in which role
(its admins). Adding an e-mail address that has no account makes one, with a one-time
set-password link in the answer (password_links.py); an existing account is granted the
project. Taking a role away or removing a member ends that user's tokens (they carry
projects and roles), as `vitals user grant` does; a grant or a promotion shows at the
user's next sign-in or token refresh (`POST /v1/admin/me/token`)."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Request, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from services.admin.json_bodies import body_errors
from services.admin.openapi import WRITE
from services.admin.password_links import PasswordLink, issue_link
from services.admin.user_auth import claims_of, require_admin
from services.contracts.database_errors import guarded
from services.contracts.errors import ApiError
from services.contracts.tokens import Role

CODE = "invalid_member"
PATH = "/v1/admin/projects/{project_id:int}/members"
ONE = PATH + "/{user_id:int}"
USER_IDS = range(1, 2**31)
# No NUL (PostgreSQL text cannot hold it), one @, no spaces; as login reads it.
Email = Annotated[str, msgspec.Meta(max_length=320, pattern="^[^@\\s\x00]+@[^@\\s\x00]+$")]

MEMBER_COLUMNS = """u.id AS user_id, u.email, up.role, u.is_owner AS owner,
    u.password_set_at IS NULL AS invited"""
SELECT_MEMBERS = f"""
SELECT {MEMBER_COLUMNS} FROM user_projects AS up JOIN users AS u ON u.id = up.user_id
WHERE up.project_id = $1 ORDER BY u.email
"""
SELECT_MEMBER = f"""
SELECT {MEMBER_COLUMNS} FROM user_projects AS up JOIN users AS u ON u.id = up.user_id
WHERE up.project_id = $1 AND up.user_id = $2
"""
LIVE_PROJECT = "SELECT true FROM projects WHERE id = $1 AND deleted_at IS NULL FOR SHARE"
# '' verifies no password (argon2 refuses it as a hash): the account waits for its link.
INSERT_INVITED = """
INSERT INTO users (email, password_hash, password_set_at) VALUES ($1, '', NULL)
ON CONFLICT (email) DO NOTHING RETURNING id
"""
SELECT_USER_ID = "SELECT id FROM users WHERE email = $1"
GRANT = """
INSERT INTO user_projects (user_id, project_id, role) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING RETURNING user_id
"""
CHANGE_ROLE = """
WITH before AS (
    SELECT role FROM user_projects WHERE project_id = $1 AND user_id = $2 FOR UPDATE
)
UPDATE user_projects AS up SET role = $3 FROM before
WHERE up.project_id = $1 AND up.user_id = $2
RETURNING before.role AS previous
"""
REMOVE = "DELETE FROM user_projects WHERE project_id = $1 AND user_id = $2 RETURNING user_id"
END_TOKENS = "UPDATE users SET token_generation = token_generation + 1 WHERE id = $1"


class Member(msgspec.Struct, frozen=True):
    user_id: int
    email: str
    role: Role
    owner: bool  # an instance owner administers the project whatever this role says
    invited: bool  # has not set a password yet


class NewMember(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    email: Email
    role: Role = "viewer"


class RoleChange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    role: Role


class AddedMember(msgspec.Struct, frozen=True):
    member: Member
    # Only when the address had no account: pass it on; it works once, for 24 hours.
    set_password_link: PasswordLink | None


def member_of(row: asyncpg.Record) -> Member:
    return Member(row["user_id"], row["email"], row["role"], row["owner"], row["invited"])


def no_member(user_id: int) -> ApiError:
    return ApiError(404, "member_not_found", f"user {user_id} is not a member of this project")


@get(
    PATH,
    responses=WRITE,
    guards=[require_admin],
    summary="A project's members and their roles (admins)",
)
async def list_members(request: Request[Any, Any, Any], project_id: FromPath[int]) -> list[Member]:
    rows = await guarded(lambda: request.app.state.db.fetch(SELECT_MEMBERS, project_id))
    return [member_of(row) for row in rows]


@post(PATH, responses=WRITE, guards=[require_admin], request_max_body_size=2048,
      exception_handlers=body_errors(CODE),
      summary="Add a member by e-mail (admins); a new account gets a password link")  # fmt: skip
async def add_member(
    request: Request[Any, Any, Any], project_id: FromPath[int], data: JSONBody[NewMember]
) -> Response[AddedMember]:
    new = data
    email = new.email
    state, inviter = request.app.state, claims_of(request).uid

    async def add() -> AddedMember:
        async with state.db.acquire() as connection, connection.transaction():
            if not await connection.fetchval(LIVE_PROJECT, project_id):
                raise ApiError(404, "project_not_found", f"there is no project {project_id}")
            link = None
            user_id = await connection.fetchval(INSERT_INVITED, email)
            if user_id is not None:
                link = await issue_link(connection, state.settings, user_id, inviter)
            else:
                user_id = await connection.fetchval(SELECT_USER_ID, email)
            if await connection.fetchval(GRANT, user_id, project_id, new.role) is None:
                raise ApiError(409, "member_exists", f"{email} is a member already")
            row = await connection.fetchrow(SELECT_MEMBER, project_id, user_id)
            return AddedMember(member_of(row), link)

    return Response(await guarded(add), status_code=201)


@patch(ONE, responses=WRITE, guards=[require_admin], request_max_body_size=1024,
       exception_handlers=body_errors(CODE),
       summary="Change a member's role (admins); a demotion ends their tokens")  # fmt: skip
async def change_role(
    request: Request[Any, Any, Any], project_id: FromPath[int], user_id: FromPath[int],
    data: JSONBody[RoleChange],
) -> Member:  # fmt: skip
    change = data
    if user_id not in USER_IDS:
        raise no_member(user_id)
    db = request.app.state.db

    async def update() -> asyncpg.Record:
        async with db.acquire() as connection, connection.transaction():
            previous = await connection.fetchval(CHANGE_ROLE, project_id, user_id, change.role)
            if previous is None:
                raise no_member(user_id)
            if previous == "admin" and change.role != "admin":
                await connection.execute(END_TOKENS, user_id)
            row: asyncpg.Record = await connection.fetchrow(SELECT_MEMBER, project_id, user_id)
            return row

    return member_of(await guarded(update))


@delete(ONE, responses=WRITE, guards=[require_admin], status_code=HTTP_204_NO_CONTENT,
        summary="Take a project away from a member (admins); ends their tokens")  # fmt: skip
async def remove_member(
    request: Request[Any, Any, Any], project_id: FromPath[int], user_id: FromPath[int]
) -> None:
    if user_id not in USER_IDS:
        raise no_member(user_id)
    db = request.app.state.db

    async def remove() -> None:
        async with db.acquire() as connection, connection.transaction():
            if await connection.fetchval(REMOVE, project_id, user_id) is None:
                raise no_member(user_id)
            await connection.execute(END_TOKENS, user_id)

    await guarded(remove)


MEMBER_HANDLERS = [list_members, add_member, change_role, remove_member]
