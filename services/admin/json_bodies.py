"""A request body decoded into its msgspec shape, or a 400 with the endpoint's own code
naming the field (msgspec says "Expected `int`, got `str` - at `$.window_minutes`")."""

from __future__ import annotations

from typing import Any

import msgspec

from services.contracts.bodies import UNREADABLE_JSON, unreadable_detail
from services.contracts.errors import ApiError

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
