"""The error answers of the admin endpoints, for the OpenAPI schema: every one is
`{"error": code, "detail": …}` (services/contracts/errors.py)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec

MEANINGS = {
    400: "the body or a parameter is invalid (`error`: the endpoint's code; `detail`: the field)",
    401: "`invalid_token` or `token_revoked`: sign in again",
    403: "`forbidden_project` (not granted, or no such project) or `forbidden_role` (a viewer,"
    " or not an owner)",
    404: "no such project, key, member, user or set-password link here",
    409: "a conflict: the slug, member or user exists, the last owner, too many keys",
    410: "the set-password link was used already or has expired",
    429: "too many attempts; wait `Retry-After` seconds",
    503: "the database or Redis cannot be reached; retry (`Retry-After`)",
}


class ErrorBody(msgspec.Struct, frozen=True):
    error: str
    detail: Any = None


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(data_container=ErrorBody, description=MEANINGS[status])
        for status in statuses
    }


SIGNED_IN = errors(401, 403, 503)
WRITE = errors(400, 401, 403, 404, 409, 503)
