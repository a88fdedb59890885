"""Ingest serves the SDK's script-tag bundle at /sdk/vitals.js, so a site needs one snippet."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from services.contracts.settings import Settings
from services.ingest import sdk_bundle
from services.ingest.app import create_app

SCRIPT = b"(()=>{window.Vitals={init(){}}})();\n//# sourceMappingURL=vitals.js.map\n"
MAP = b'{"version":3,"sources":["../src/script-tag.ts"],"mappings":""}'
PLAIN = {"accept-encoding": "identity"}


@pytest.fixture
def dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty sdk/dist stand-in; a test writes the files it wants built."""
    monkeypatch.setattr(sdk_bundle, "SDK_DIST", tmp_path)
    return tmp_path


@pytest.fixture
async def built(dist: Path, settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    """Ingest started after the SDK was built."""
    (dist / "vitals.js").write_bytes(SCRIPT)
    (dist / "vitals.js.map").write_bytes(MAP)
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


class TestScript:
    async def test_serves_the_bundle_as_javascript_to_any_origin(self, built: Any) -> None:
        """GET /sdk/vitals.js answers the built bytes as UTF-8 JavaScript that any page may load."""
        response = await built.get("/sdk/vitals.js", headers=PLAIN)
        assert response.status_code == 200
        assert response.content == SCRIPT
        assert response.headers["content-type"] == "text/javascript; charset=utf-8"
        assert response.headers["access-control-allow-origin"] == "*"
        assert response.headers["cross-origin-resource-policy"] == "cross-origin"
        assert response.headers["x-content-type-options"] == "nosniff"

    async def test_is_cached_for_an_hour_and_revalidated_not_pinned(self, built: Any) -> None:
        """The unversioned URL is cached an hour, then served stale while revalidating, never immutable."""
        response = await built.get("/sdk/vitals.js", headers=PLAIN)
        cache_control = {d.strip() for d in response.headers["cache-control"].split(",")}
        assert cache_control == {"public", "max-age=3600", "stale-while-revalidate=86400"}
        assert response.headers["etag"].startswith('"')

    async def test_a_matching_etag_is_answered_304_without_a_body(self, built: Any) -> None:
        """A revalidation with the current ETag costs a 304 and no bytes; a stale ETag gets the file."""
        etag = (await built.get("/sdk/vitals.js", headers=PLAIN)).headers["etag"]
        fresh = await built.get("/sdk/vitals.js", headers={**PLAIN, "if-none-match": etag})
        assert fresh.status_code == 304
        assert fresh.content == b""
        assert fresh.headers["etag"] == etag
        assert "max-age=3600" in fresh.headers["cache-control"]
        stale = await built.get("/sdk/vitals.js", headers={**PLAIN, "if-none-match": '"old"'})
        assert stale.status_code == 200
        assert stale.content == SCRIPT

    async def test_is_gzipped_for_clients_that_accept_it(self, built: Any) -> None:
        """With Accept-Encoding: gzip the body is the gzipped bundle, under an ETag of its own."""
        plain = await built.get("/sdk/vitals.js", headers=PLAIN)
        response = await built.get("/sdk/vitals.js", headers={"accept-encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers["content-encoding"] == "gzip"
        assert "accept-encoding" in response.headers["vary"].lower()
        assert response.content == SCRIPT  # the client undid the gzip
        assert response.headers["etag"] != plain.headers["etag"]


class TestSourceMap:
    async def test_serves_the_map_as_json(self, built: Any) -> None:
        """GET /sdk/vitals.js.map answers the source map as JSON with the script's cache headers."""
        response = await built.get("/sdk/vitals.js.map", headers=PLAIN)
        assert response.status_code == 200
        assert response.content == MAP
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert "max-age=3600" in response.headers["cache-control"]


class TestNotBuilt:
    async def test_a_missing_build_is_a_404_sdk_not_built(
        self, dist: Path, settings: Settings
    ) -> None:
        """Without sdk/dist/vitals.js at start, both files are 404 `sdk_not_built`, not to be cached."""
        async with AsyncTestClient(create_app(settings)) as client:
            for path in ("/sdk/vitals.js", "/sdk/vitals.js.map"):
                response = await client.get(path)
                assert response.status_code == 404
                assert response.json()["error"] == "sdk_not_built"
                assert "npm run build" in response.json()["detail"]
                assert response.headers["cache-control"] == "no-store"

    async def test_the_files_are_read_once_at_start(self, dist: Path, settings: Settings) -> None:
        """A build that lands after ingest started is served only after a restart."""
        async with AsyncTestClient(create_app(settings)) as client:
            (dist / "vitals.js").write_bytes(SCRIPT)
            assert (await client.get("/sdk/vitals.js")).status_code == 404
        async with AsyncTestClient(create_app(settings)) as client:
            assert (await client.get("/sdk/vitals.js", headers=PLAIN)).content == SCRIPT

    async def test_other_names_are_not_found(self, built: Any) -> None:
        """Only the script and its map are served: other names are a plain 404 `not_found`."""
        for name in ("vitals.mjs", "..%2Fpackage.json", "index.html"):
            response = await built.get(f"/sdk/{name}")
            assert response.status_code == 404
            assert response.json()["error"] == "not_found"


class TestLocation:
    def test_the_default_location_is_the_sdk_build_output(self) -> None:
        """Ingest looks for the bundle where `npm run build` in sdk/ writes it."""
        built_by_npm = Path(__file__).resolve().parents[2] / "sdk" / "dist"
        assert built_by_npm == sdk_bundle.SDK_DIST
