"""records:queryRecord's failures in Google's API error shape, as the CrUX API answers them.

CrUX clients read `error.code`: 404 means "no data" (treo's crux-api returns null, the
CrUX cookbook's tools show "no data"), 429 means wait and retry; anything else throws.
Our `{"error": code, "detail": …}` would make every such client throw on a page without
data, so this one route answers

    {"error": {"code": 404, "message": "chrome ux report data not found",
               "status": "NOT_FOUND", "details": [...]}}

with Google's canonical status names (google.rpc.Code) and, in `details`, an ErrorInfo
whose `reason` is our stable code (a program can still tell `token_revoked` from
`invalid_token`), a RetryInfo on 429 beside the Retry-After header, and a RequestInfo with
the request id on 500. Every other route keeps the project's own shape
(contracts/errors.py).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import ResponseSpec

from services.contracts.errors import ApiError, ExceptionHandlers, unexpected_error

# google.rpc.Code by HTTP status, as Google's APIs map them (google/rpc/code.proto).
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
# CrUX's own text for a record it has no data for; clients match on it.
NOT_FOUND_MESSAGE = "chrome ux report data not found"
DOMAIN = "vitals"
_TYPE = "type.googleapis.com/google.rpc."


def status_name(code: int) -> str:
    if code in STATUS_NAMES:
        return STATUS_NAMES[code]
    # A 4xx Google has no name for (413 body too large, 415) is the caller's argument.
    return "INVALID_ARGUMENT" if 400 <= code < 500 else "UNKNOWN"


def google_error(
    code: int,
    message: str,
    reason: str,
    headers: dict[str, str] | None = None,
    extra_details: list[dict[str, Any]] | None = None,
) -> Response[dict[str, Any]]:
    details: list[dict[str, Any]] = [
        {"@type": _TYPE + "ErrorInfo", "reason": reason.upper(), "domain": DOMAIN}
    ]
    retry_after = (headers or {}).get("Retry-After")
    if code == 429 and retry_after:
        details.append({"@type": _TYPE + "RetryInfo", "retryDelay": f"{retry_after}s"})
    error = {
        "code": code,
        "message": message,
        "status": status_name(code),
        "details": details + (extra_details or []),
    }
    return Response({"error": error}, status_code=code, headers=headers)


def _api_error(_: Request[Any, Any, Any], exc: ApiError) -> Response[dict[str, Any]]:
    message = exc.detail if isinstance(exc.detail, str) and exc.detail else exc.code
    return google_error(exc.status, message, exc.code, exc.headers)


def _http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    """Litestar's own refusals (a body that is no JSON, a field of the wrong type)."""
    if exc.status_code == 400:
        problems = exc.extra if isinstance(exc.extra, list) else []
        details = [
            f"{p.get('key', 'body')}: {p.get('message', '')}"
            for p in problems
            if isinstance(p, dict)
        ]
        code = "invalid_parameter"
        message = "; ".join(details) or exc.detail
    else:
        code = "invalid_request" if isinstance(exc, ValidationException) else "request_refused"
        message = exc.detail
    return google_error(exc.status_code, message, code, dict(exc.headers or {}))


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    body = unexpected_error(request.scope, request.method, request.url.path, exc)
    request_info = {"@type": _TYPE + "RequestInfo", "requestId": body["request_id"]}
    return google_error(500, body["detail"], body["error"], extra_details=[request_info])


# Route-level handlers: 400 by status too, since the app maps Litestar's 400s by status.
CRUX_EXCEPTION_HANDLERS: ExceptionHandlers = {
    400: _http_exception,
    ApiError: _api_error,
    HTTPException: _http_exception,
    Exception: _unexpected,
}


class GoogleError(msgspec.Struct, frozen=True):
    code: int  # the HTTP status
    message: str
    status: str  # google.rpc.Code's name
    details: list[dict[str, Any]] = []  # ErrorInfo (reason: our code), RetryInfo, RequestInfo


class GoogleErrorBody(msgspec.Struct, frozen=True):
    """How records:queryRecord fails: the shape of Google's CrUX API errors."""

    error: GoogleError


_MEANINGS = {
    400: "INVALID_ARGUMENT: the message names the body field or parameter",
    401: "UNAUTHENTICATED: reason INVALID_TOKEN or TOKEN_REVOKED",
    403: "PERMISSION_DENIED: the token does not grant the project",
    404: f"NOT_FOUND: `{NOT_FOUND_MESSAGE}` (no data for the origin or URL), or no such project",
    429: "RESOURCE_EXHAUSTED: over the project's queries per minute; wait for Retry-After",
    500: "INTERNAL: logged with the request id in RequestInfo and X-Request-Id",
    503: "UNAVAILABLE: the database is busy or unreachable; retry later",
}
CRUX_ERRORS = {
    status: ResponseSpec(GoogleErrorBody, description=meaning, generate_examples=False)
    for status, meaning in _MEANINGS.items()
}
