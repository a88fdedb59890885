"""Bearer-token guards: who is asking (401 `invalid_token`, or `token_revoked` for a user
token minted before the user's last password change or revocation) and may they see the
path's project (403 `forbidden_project`). Guards run before parameters are parsed, so an
unauthenticated request learns nothing about the API beyond "authenticate"."""

from __future__ import annotations

from typing import Any

import structlog
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from services.contracts.bearer import presented_bearer
from services.contracts.database_errors import guarded
from services.contracts.errors import ApiError
from services.contracts.generations import TokenGenerations
from services.contracts.settings import Settings
from services.contracts.tokens import Claims, TokenError, verify_token
from services.query.errors import (
    BEARER_CHALLENGE,
    check_project_id,
    forbidden_project,
    invalid_token,
)

CLAIMS_KEY = "claims"
SECURITY: list[dict[str, list[str]]] = [
    {"bearer": []}
]  # the OpenAPI requirement of every data route


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    token = presented_bearer(connection)
    if token is None:
        raise invalid_token("send the token as `Authorization: Bearer <token>`")
    return token


def token_revoked() -> ApiError:
    detail = "the token was revoked (password change or `vitals user revoke`); sign in again"
    return ApiError(401, "token_revoked", detail, BEARER_CHALLENGE)


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    state = connection.app.state
    settings: Settings = state.settings
    try:
        claims = verify_token(settings, bearer_token(connection))
    except TokenError as exc:
        raise invalid_token(str(exc)) from None
    generations: TokenGenerations = state.generations
    if not await guarded(lambda: generations.is_current(state.db, claims)):
        raise token_revoked()
    connection.scope["state"][CLAIMS_KEY] = claims


async def authorize_project(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    await authenticate(connection, handler)
    project_id = connection.path_params["project_id"]
    check_project_id(project_id)
    if not claims_of(connection).grants(project_id):
        raise forbidden_project(project_id)
    structlog.contextvars.bind_contextvars(project_id=project_id)


def claims_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Claims:
    claims: Claims = connection.scope["state"][CLAIMS_KEY]
    return claims
