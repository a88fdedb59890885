"""What a beacon request must look like on the wire before its body is decoded."""

from __future__ import annotations

from contextlib import suppress
from functools import lru_cache
from typing import cast

from litestar.types import HTTPScope, Receive

from services.ingest.envelope import Envelope
from services.ingest.rejections import Rejected

MAX_BODY_BYTES = 64 * 1024  # 64 KiB: the sendBeacon / fetch keepalive limit
# sendBeacon with a string sends text/plain (no CORS preflight); fetch sends JSON.
MEDIA_TYPES = frozenset({"text/plain", "application/json"})
CHARSETS = frozenset({"utf-8", "utf8"})


def check_content_headers(envelope: Envelope) -> None:
    encoding = (envelope.content_encoding or "identity").strip().lower()
    if encoding != "identity":
        # A compressed body could expand far past the 64 KiB limit once decoded.
        raise Rejected(
            415, "unsupported_media_type", f"Content-Encoding {encoding!r} is not accepted"
        )
    if envelope.content_type is None or not _acceptable(envelope.content_type):
        raise Rejected(
            415, "unsupported_media_type", "send text/plain or application/json in UTF-8"
        )


@lru_cache(maxsize=256)  # a handful of distinct values in practice
def _acceptable(content_type: str) -> bool:
    media_type, *parameters = (part.strip().lower() for part in content_type.split(";"))
    charset = "utf-8"
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip() == "charset":
            charset = value.strip().strip('"')
    return media_type in MEDIA_TYPES and charset in CHARSETS


class BodyReader:
    """The request body, read when the intake gets to it (after the key check, so
    strangers cannot make us read 64 KiB) and refused past MAX_BODY_BYTES: against the
    announced Content-Length first, then against the bytes actually streamed, so a lying
    or absent Content-Length (a chunked upload) is cut off at the limit too."""

    def __init__(self, scope: HTTPScope, receive: Receive) -> None:
        self._scope = scope
        self._receive = receive

    async def read(self) -> bytes:
        if _announced_length(self._scope) > MAX_BODY_BYTES:
            raise _too_large()
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise _incomplete()
            chunk = cast("bytes", message.get("body", b""))
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise _too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _announced_length(scope: HTTPScope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            with suppress(ValueError):  # the server refuses a malformed one before us
                return int(value)
    return 0


def _too_large() -> Rejected:
    return Rejected(413, "payload_too_large", f"beacons are limited to {MAX_BODY_BYTES} bytes")


def _incomplete() -> Rejected:
    return Rejected(400, "incomplete_body", "the client went away before the body ended")
