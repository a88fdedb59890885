"""`/v1/admin/me`: what the signed-in user may do, so the dashboard shows admin screens
only to those who may use them (the admin service checks every write anyway); and
`/v1/admin/me/token`: a fresh token from what the user may do now (a project created or
granted since sign-in), expiring when the presented one does, so it never lengthens a
session."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Request, get, post

from services.admin.openapi import SIGNED_IN
from services.admin.user_auth import claims_of, require_user
from services.contracts.database_errors import guarded
from services.contracts.errors import ApiError
from services.contracts.tokens import Claims, Role
from services.contracts.user_tokens import mint_user_token, user_grants

SELECT_NAMES = """
SELECT id, slug, name FROM projects
WHERE deleted_at IS NULL AND ($1 OR id = ANY($2::int[])) ORDER BY id
"""


class MyProject(msgspec.Struct, frozen=True):
    id: int
    slug: str
    name: str
    role: Role


class Me(msgspec.Struct, frozen=True):
    user_id: int | None  # None: a project token from `vitals token`
    email: str | None
    owner: bool
    can_create_projects: bool
    can_manage_users: bool
    projects: list[MyProject]  # with the role the token carries in each


class RefreshedToken(msgspec.Struct, frozen=True):
    token: str
    expires_at: datetime
    projects: list[int]
    roles: dict[str, Role]
    owner: bool


@get(
    "/v1/admin/me",
    responses=SIGNED_IN,
    guards=[require_user],
    summary="What the token's holder may do",
)
async def show_me(request: Request[Any, Any, Any]) -> Me:
    claims = claims_of(request)
    rows = await guarded(
        lambda: request.app.state.db.fetch(SELECT_NAMES, claims.owner, list(claims.projects))
    )
    projects = [
        MyProject(row["id"], row["slug"], row["name"], claims.role(row["id"]) or "viewer")
        for row in rows
    ]
    email = claims.sub if claims.uid is not None else None
    return Me(claims.uid, email, claims.owner, claims.owner, claims.owner, projects)


@post("/v1/admin/me/token", responses=SIGNED_IN, guards=[require_user], status_code=200,
      summary="A fresh token with what the user may do now (same expiry)")  # fmt: skip
async def refresh_token(request: Request[Any, Any, Any]) -> RefreshedToken:
    refreshed = await fresh_token(request, claims_of(request))
    if refreshed is None:
        raise ApiError(400, "not_a_user_token", "only a user's login token can be refreshed")
    return refreshed


async def fresh_token(request: Request[Any, Any, Any], claims: Claims) -> RefreshedToken | None:
    """The user's token as of now, expiring with `claims`; None for a project token."""
    user_id, remaining = claims.uid, claims.exp - int(time.time())
    if user_id is None or remaining <= 0:
        return None
    grants = await guarded(lambda: user_grants(request.app.state.db, user_id))
    if grants is None:
        return None
    token = mint_user_token(request.app.state.settings, grants, remaining)
    return RefreshedToken(
        token,
        datetime.fromtimestamp(claims.exp, UTC),
        grants.projects,
        {str(p): role for p, role in sorted(grants.roles.items())},
        grants.owner,
    )


ME_HANDLERS = [show_me, refresh_token]
