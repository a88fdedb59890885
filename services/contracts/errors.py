"""The one JSON error shape every HTTP service answers with: {"error": code, "detail": ...}."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from http import HTTPStatus
from typing import Any

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import Scope

from services.contracts.request_ids import request_id_of


class ApiError(Exception):
    """An expected failure: a stable code for programs, a detail for people."""

    def __init__(
        self, status: int, code: str, detail: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}


def error_response(
    status: int, code: str, detail: Any = None, headers: dict[str, str] | None = None
) -> Response[dict[str, Any]]:
    return Response({"error": code, "detail": detail}, status_code=status, headers=headers)


def _api_error(_: Request[Any, Any, Any], exc: ApiError) -> Response[dict[str, Any]]:
    return error_response(exc.status, exc.code, exc.detail, exc.headers)


def _http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    # Litestar's own 4xx (unknown route, bad query parameter, wrong method) in our shape.
    # The code comes from the status, never from the detail: a detail can quote the input.
    code = "invalid_request" if isinstance(exc, ValidationException) else _slug(exc.status_code)
    detail = exc.extra if isinstance(exc, ValidationException) and exc.extra else exc.detail
    return error_response(exc.status_code, code, detail, dict(exc.headers or {}))


def _slug(status: int) -> str:
    try:
        return "_".join(HTTPStatus(status).phrase.lower().split())
    except ValueError:
        return "error"


def unexpected_error(scope: Scope, method: str, path: str, exc: Exception) -> dict[str, Any]:
    """A bug or an outage nobody mapped: logged with its traceback; the body answering it
    carries the request id. Litestar's routes get it from `_unexpected`; ingest's bare
    beacon endpoint calls it itself."""
    request_id = request_id_of(scope)
    # A fresh logger: a module-level one is bound to the sink of its first use.
    structlog.get_logger().error(
        "unhandled_error", method=method, path=path, request_id=request_id, exc_info=exc
    )
    detail = "unexpected server error"
    return {"error": "internal_error", "detail": detail, "request_id": request_id}


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    body = unexpected_error(request.scope, request.method, request.url.path, exc)
    return Response(body, status_code=HTTP_500_INTERNAL_SERVER_ERROR)


ExceptionHandlers = MutableMapping[
    int | type[Exception], Callable[[Request[Any, Any, Any], Any], Response[Any]]
]
EXCEPTION_HANDLERS: ExceptionHandlers = {
    ApiError: _api_error,
    HTTPException: _http_exception,
    Exception: _unexpected,
}
