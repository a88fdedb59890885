"""Deploy-token authentication: `Authorization: Bearer vdt_…` naming a live token of the
project in the path. Every failure is a 401 or 403 decided before the body is read."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from services.contracts.bearer import presented_bearer
from services.contracts.database_errors import guarded
from services.contracts.deploy_tokens import LiveToken, live_token
from services.contracts.errors import ApiError

SCOPE_KEY = "deploy_token"  # where the guard leaves the checked token
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="deploys"'}
# A token that names a project it does not belong to, and a project that does not exist,
# get the same answer: a token tells nothing about other projects.
PROJECT_BY_ID_OR_SLUG = "SELECT id FROM projects WHERE id::text = $1 OR slug = $1"


def invalid_deploy_token(detail: str) -> ApiError:
    return ApiError(401, "invalid_deploy_token", detail, CHALLENGE)


def presented_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    token = presented_bearer(connection)
    if token is None:
        raise invalid_deploy_token("send the deploy token as `Authorization: Bearer vdt_…`")
    return token


async def require_deploy_token(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard: the token is live and belongs to the path's project (id or slug)."""
    db = connection.app.state.db
    presented = presented_token(connection)
    token = await guarded(lambda: live_token(db, presented))
    if token is None:
        raise invalid_deploy_token("the deploy token is unknown or revoked")
    project = str(connection.path_params["project"])
    project_id = (
        await guarded(lambda: db.fetchval(PROJECT_BY_ID_OR_SLUG, project))
        if "\x00" not in project
        else None
    )
    if project_id != token.project_id:
        raise ApiError(403, "forbidden_project", f"the deploy token does not grant {project!r}")
    connection.scope["state"][SCOPE_KEY] = token


def token_of(connection: ASGIConnection[Any, Any, Any, Any]) -> LiveToken:
    token: LiveToken = connection.scope["state"][SCOPE_KEY]
    return token
