"""Reading a JSON request body: what msgspec lets through becomes the client's 400.

msgspec raises `DecodeError` for malformed JSON, but `UnicodeDecodeError` for invalid
UTF-8 inside a string (raw `\\xff`, a lone surrogate's bytes) and `RecursionError` for
nesting past its depth limit; left alone, both would be answered 500.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException

UNREADABLE_JSON = (UnicodeDecodeError, RecursionError)


def unreadable_detail(exc: UnicodeDecodeError | RecursionError) -> str:
    if isinstance(exc, RecursionError):
        return "the JSON body nests too deeply"
    return f"the body is not valid UTF-8 (byte {exc.start}: {exc.reason})"


class JsonBodyRequest(Request[Any, Any, Any]):
    """Litestar's request, whose JSON body errors are all SerializationException (a 400)."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except UNREADABLE_JSON as exc:
            raise SerializationException(unreadable_detail(exc)) from None
