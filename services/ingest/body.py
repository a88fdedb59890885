"""What a beacon request must look like on the wire before its body is decoded."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from litestar import Request
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

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


async def read_body(request: Request[Any, Any, Any]) -> bytes:
    """The body, refused past MAX_BODY_BYTES.

    The route sets `request_max_body_size`, and Litestar enforces it twice: against the
    announced Content-Length before reading, and against the bytes actually streamed, so
    a lying or absent Content-Length (chunked upload) is cut off at the limit too.
    """
    try:
        return await request.body()
    except RequestEntityTooLarge:
        raise Rejected(
            413, "payload_too_large", f"beacons are limited to {MAX_BODY_BYTES} bytes"
        ) from None
