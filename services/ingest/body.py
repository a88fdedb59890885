"""What a beacon request must look like on the wire before its body is decoded."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from services.ingest.rejections import Rejected

MAX_BODY_BYTES = 64 * 1024  # 64 KiB: the sendBeacon / fetch keepalive limit
# sendBeacon with a string sends text/plain (no CORS preflight); fetch sends JSON.
MEDIA_TYPES = frozenset({"text/plain", "application/json"})
CHARSETS = frozenset({"utf-8", "utf8"})


def check_content_headers(request: Request[Any, Any, Any]) -> None:
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding != "identity":
        # A compressed body could expand far past the 64 KiB limit once decoded.
        raise Rejected(
            415, "unsupported_media_type", f"Content-Encoding {encoding!r} is not accepted"
        )
    media_type, options = request.content_type
    charset = options.get("charset", "utf-8").lower()
    if media_type.lower() not in MEDIA_TYPES or charset not in CHARSETS:
        raise Rejected(
            415,
            "unsupported_media_type",
            "send text/plain or application/json in UTF-8",
        )


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
