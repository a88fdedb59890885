"""POST /v1/projects/{id}/releases/{release}/check: a release against its budgets, for a
CI job holding the project's deploy token (or a dashboard user's token). A read, so it
lives in the query service, though it takes its budgets as a JSON body (budgets.py)."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Request, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, QueryParameter

from services.contracts.bearer import presented_bearer
from services.contracts.bodies import UNREADABLE_JSON, unreadable_detail
from services.contracts.budgets import Budgets, CheckResult, check_budgets
from services.contracts.database_errors import guarded
from services.contracts.deploy_tokens import PREFIX, live_token
from services.contracts.errors import ApiError
from services.query.answers import json_response
from services.query.auth import SECURITY, authorize_project
from services.query.budgets import judge
from services.query.errors import check_project_id, forbidden_project, invalid_token
from services.query.openapi import VIEW_ERRORS
from services.query.releases import check_name, compare_with_bins

MAX_BODY_BYTES = 64 * 1024


async def check_release(
    db: asyncpg.Pool, project_id: int, release: str, budgets: Budgets, baseline: str | None = None
) -> CheckResult:
    """What `vitals check` prints and the endpoint answers."""
    comparison, own = await compare_with_bins(db, project_id, release, baseline)
    return judge(comparison, own, budgets)


def parse_budgets(body: bytes) -> Budgets:
    try:
        budgets = msgspec.json.decode(body, type=Budgets)
        check_budgets(budgets)
    except (msgspec.DecodeError, ValueError) as exc:
        raise ApiError(400, "invalid_budgets", str(exc)) from None
    except UNREADABLE_JSON as exc:
        raise ApiError(400, "invalid_budgets", unreadable_detail(exc)) from None
    return budgets


async def authorize_check(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """A deploy token of the path's project, or what every other view accepts."""
    token = presented_bearer(connection)
    if token is None or not token.startswith(PREFIX):
        await authorize_project(connection, handler)
        return
    project_id = connection.path_params["project_id"]
    check_project_id(project_id)
    db = connection.app.state.db
    live = await guarded(lambda: live_token(db, token))
    if live is None:
        raise invalid_token("the deploy token is unknown or revoked")
    if live.project_id != project_id:
        raise forbidden_project(project_id)


CHECK_OPTIONS: dict[str, Any] = {
    "guards": [authorize_check],
    "security": SECURITY,
    "request_max_body_size": MAX_BODY_BYTES,
    "responses": VIEW_ERRORS,
    "status_code": 200,
    "tags": ["views"],
}
BaselineName = Annotated[
    str | None, QueryParameter(required=False, description="The release to compare with.")
]


@post(
    "/v1/projects/{project_id:int}/releases/{release:str}/check",
    summary="Did a release meet its p75 budgets and not regress? (deploy token or JWT)",
    **CHECK_OPTIONS,
)
async def check_view(
    *, request: Request[Any, Any, Any], project_id: FromPath[int], release: FromPath[str],
    baseline: BaselineName = None,
) -> Any:  # fmt: skip
    return await _check(request, project_id, release, baseline)


@post(
    "/v1/projects/{project_id:int}/releases/check",
    summary="The same, the release given as ?release= (for names with a /)",
    **CHECK_OPTIONS,
)
async def check_by_name_view(
    *, request: Request[Any, Any, Any], project_id: FromPath[int],
    release: Annotated[str, QueryParameter(description="The release to check.")],
    baseline: BaselineName = None,
) -> Any:  # fmt: skip
    return await _check(request, project_id, release, baseline)


async def _check(
    request: Request[Any, Any, Any], project_id: int, release: str, baseline: str | None
) -> Any:
    check_name("release", release)
    if baseline is not None:
        check_name("baseline", baseline)
    budgets = parse_budgets(await request.body())
    db = request.app.state.db
    result = await guarded(lambda: check_release(db, project_id, release, budgets, baseline))
    return json_response(msgspec.json.encode(result))
