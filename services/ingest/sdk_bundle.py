"""The SDK's script-tag bundle, served so a site needs one snippet and no build step:
`<script src="https://<ingest>/sdk/vitals.js" data-key="…" defer>`.

The files are read once when the app is made (from `sdk/dist/`, which `npm run build` and
`scripts/provision.sh` write) and gzipped then, so a request costs no disk read and no
compression.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path
from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.params import FromPath

from services.contracts.errors import ApiError

SDK_DIST = Path(__file__).resolve().parents[2] / "sdk" / "dist"
FILES = {
    "vitals.js": "text/javascript",  # Litestar adds `; charset=utf-8` to text/ types
    "vitals.js.map": "application/json; charset=utf-8",
}
# The URL carries no version, so every site picks up a new release by itself; `immutable`
# and a year would pin the old bundle in browsers for that year. An hour bounds how long
# a release takes to reach returning visitors; for a day after that a stale copy is still
# used at once while it is refreshed in the background, and the ETag makes that refresh
# a 304 with no body.
CACHE_CONTROL = "public, max-age=3600, stale-while-revalidate=86400"
HEADERS = {
    "Cache-Control": CACHE_CONTROL,
    # Public code: any page may load it, also with `crossorigin` (which needs CORS) and
    # under `Cross-Origin-Embedder-Policy: require-corp` (which needs CORP).
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "X-Content-Type-Options": "nosniff",
    "Vary": "Accept-Encoding",
}


class Asset(msgspec.Struct, frozen=True):
    content_type: str
    body: bytes
    gzipped: bytes
    etag: str
    gzip_etag: str  # a strong ETag names one representation, and gzip is another


def load_bundle(dist: Path | None = None) -> dict[str, Asset]:
    """The built files found in `dist` (SDK_DIST), by name; empty when the SDK is not built."""
    dist = dist or SDK_DIST
    assets = {}
    for name, content_type in FILES.items():
        path = dist / name
        if not path.is_file():
            continue
        body = path.read_bytes()
        digest = hashlib.sha256(body).hexdigest()[:32]
        # mtime=0: the same bytes on every start, so every ingest replica agrees on the ETag.
        gzipped = gzip.compress(body, compresslevel=9, mtime=0)
        assets[name] = Asset(content_type, body, gzipped, f'"{digest}"', f'"{digest}-gz"')
    return assets


def _matches(if_none_match: str | None, etag: str) -> bool:
    if if_none_match is None:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


@get("/sdk/{name:str}", include_in_schema=False)
async def sdk_file(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
    asset: Asset | None = request.app.state.sdk_bundle.get(name)
    if asset is None:
        if name not in FILES:
            raise ApiError(404, "not_found", f"no SDK file named {name!r}")
        # no-store: a proxy must not keep serving the 404 once the SDK is built.
        raise ApiError(
            404,
            "sdk_not_built",
            f"{name} is not in sdk/dist: run `npm run build` in sdk/ and restart ingest",
            {"Cache-Control": "no-store"},
        )
    gzip_ok = "gzip" in request.headers.get("accept-encoding", "")
    etag = asset.gzip_etag if gzip_ok else asset.etag
    headers = {**HEADERS, "ETag": etag}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(b"", status_code=304, headers=headers)
    if gzip_ok:
        headers["Content-Encoding"] = "gzip"
    body = asset.gzipped if gzip_ok else asset.body
    return Response(body, media_type=asset.content_type, headers=headers)
