"""Dashboard JWTs on the admin service (the tokens the query service's login and `vitals
token` mint): who asks (401 `invalid_token`, or `token_revoked`), may they see the path's
project (403 `forbidden_project`, the same for a project that does not exist), and, for
a write, do they administer it or own the instance (403 `forbidden_role`). Guards run
before the body is read: a refused request costs nothing. A token without the `roles`
claim is a viewer's (services/contracts/tokens.py)."""

from __future__ import annotations

from typing import Any

import structlog
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from services.contracts.bearer import presented_bearer
from services.contracts.database_errors import guarded
from services.contracts.errors import ApiError
from services.contracts.generations import TokenGenerations
from services.contracts.tokens import Claims, TokenError, verify_token

CLAIMS_KEY = "claims"
CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


def invalid_token(detail: str) -> ApiError:
    return ApiError(401, "invalid_token", detail, CHALLENGE)


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Claims:
    state = connection.app.state
    token = presented_bearer(connection)
    if token is None:
        raise invalid_token("send the token as `Authorization: Bearer <token>`")
    try:
        claims = verify_token(state.settings, token)
    except TokenError as exc:
        raise invalid_token(str(exc)) from None
    generations: TokenGenerations = state.generations
    if not await guarded(lambda: generations.is_current(state.db, claims)):
        detail = "the token was revoked (password change, role change or `vitals user revoke`)"
        raise ApiError(401, "token_revoked", detail + "; sign in again", CHALLENGE)
    return claims


async def require_viewer(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard: a current token that grants the path's project, in any role."""
    claims = await authenticate(connection)
    project_id: int = connection.path_params["project_id"]
    if not claims.grants(project_id):
        raise ApiError(403, "forbidden_project", f"the token does not grant project {project_id}")
    connection.scope["state"][CLAIMS_KEY] = claims
    structlog.contextvars.bind_contextvars(project_id=project_id)


async def require_admin(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Guard: as require_viewer, and the token's role in the project is admin (an owner's
    is everywhere)."""
    await require_viewer(connection, handler)
    project_id: int = connection.path_params["project_id"]
    if not claims_of(connection).administers(project_id):
        raise ApiError(403, "forbidden_role", f"this takes the admin role in project {project_id}")


async def require_user(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: any current token."""
    connection.scope["state"][CLAIMS_KEY] = await authenticate(connection)


async def require_owner(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Guard: a current token of an instance owner (`vitals user create --owner`)."""
    await require_user(connection, handler)
    if not claims_of(connection).owner:
        raise ApiError(403, "forbidden_role", "this takes the owner role")


def claims_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Claims:
    claims: Claims = connection.scope["state"][CLAIMS_KEY]
    return claims
