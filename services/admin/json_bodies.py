"""A request body decoded into its msgspec shape, or a 400 with the endpoint's own code
naming the field (msgspec says "Expected `int`, got `str` - at `$.window_minutes`")."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException

from services.contracts.bodies import UNREADABLE_JSON, unreadable_detail
from services.contracts.errors import ApiError, error_response

# Rules and destinations are a few named fields; a route filter is the largest (2 KiB).
MAX_BODY_BYTES = 16 * 1024


def decode_body(body: bytes, shape: Any, code: str) -> Any:
    try:
        return msgspec.json.decode(body, type=shape)
    except msgspec.DecodeError as exc:  # ValidationError included
        raise ApiError(400, code, str(exc)) from None
    except UNREADABLE_JSON as exc:
        raise ApiError(400, code, unreadable_detail(exc)) from None


def invalid(code: str, exc: msgspec.ValidationError | ValueError) -> ApiError:
    return ApiError(400, code, str(exc))


def body_errors(code: str) -> dict[int | type[Exception], Any]:
    """A handler's `exception_handlers`: Litestar's own 400s for a `data: Struct` body
    (malformed JSON, a field of the wrong type, an unknown one) answered with the
    endpoint's code, naming the field, as decode_body does. The body is then decoded
    by Litestar, which also documents its shape in the OpenAPI schema."""

    def answer(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
        problems = exc.extra if isinstance(exc.extra, list) else []
        details = [
            f"{p.get('key', 'body')}: {p.get('message', '')}"
            for p in problems
            if isinstance(p, dict)
        ]
        return error_response(400, code, "; ".join(details) or exc.detail)

    return {400: answer}
