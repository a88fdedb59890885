"""POST /v1/projects/{project}/deploys: a CI job records that a release went out, with its
deploy token (deploy_auth.py). The project is named by id or slug, as in the CLI."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, post

from services.admin.deploy_auth import require_deploy_token, token_of
from services.contracts.bodies import UNREADABLE_JSON, unreadable_detail
from services.contracts.database_errors import guarded
from services.contracts.deploys import Deploy, parse_at, record_deploy
from services.contracts.errors import ApiError

MAX_BODY_BYTES = 16 * 1024  # a release, a URL and a line of changelog
# Coarse on purpose: one write a minute per token, not one per deploy burst.
MARK_USED = """
UPDATE deploy_tokens SET last_used_at = now()
WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
"""


class DeployRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    release: str
    at: str | None = None  # ISO 8601; default: now
    url: str | None = None
    description: str | None = None


@post(
    "/v1/projects/{project:str}/deploys",
    guards=[require_deploy_token],
    request_max_body_size=MAX_BODY_BYTES,
    summary="Record a deploy marker (deploy token)",
)
async def record_deploy_view(request: Request[Any, Any, Any]) -> Response[Deploy]:
    token = token_of(request)
    wanted = _decode(await request.body())
    try:
        at = parse_at(wanted.at)
    except ValueError as exc:
        raise ApiError(400, "invalid_deploy", f"at: {exc}") from None
    db = request.app.state.db

    async def write() -> Deploy:
        async with db.acquire() as connection, connection.transaction():
            deploy = await record_deploy(
                connection, token.project_id, wanted.release, at=at, url=wanted.url,
                description=wanted.description,
            )  # fmt: skip
            await connection.execute(MARK_USED, token.id)
        return deploy

    try:
        deploy = await guarded(write)
    except ValueError as exc:  # check_deploy's limits
        raise ApiError(400, "invalid_deploy", str(exc)) from None
    return Response(deploy, status_code=201)


def _decode(body: bytes) -> DeployRequest:
    try:
        return msgspec.json.decode(body, type=DeployRequest)
    except msgspec.DecodeError as exc:
        # msgspec names the field: "Expected `str`, got `int` - at `$.release`".
        raise ApiError(400, "invalid_deploy", str(exc)) from None
    except UNREADABLE_JSON as exc:
        raise ApiError(400, "invalid_deploy", unreadable_detail(exc)) from None
