"""Browsers on any site can send beacons and read our answers, with no credentials."""

from __future__ import annotations

from typing import Any

import redis.asyncio

from tests.ingest.conftest import beacon, post_beacon, publish_key

ORIGIN = "https://shop.example.com"


class TestPreflight:
    async def test_preflight_is_answered_for_any_origin(self, ingest: Any) -> None:
        """OPTIONS /v1/beacon answers 204, echoing the Origin and allowing POST with Content-Type and X-Vitals-Key."""
        response = await ingest.options(
            "/v1/beacon",
            headers={
                "origin": ORIGIN,
                "access-control-request-method": "POST",
                "access-control-request-headers": "content-type, x-vitals-key",
            },
        )
        assert response.status_code == 204
        assert response.headers["access-control-allow-origin"] == ORIGIN
        assert "POST" in response.headers["access-control-allow-methods"]
        allowed = {
            h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
        }
        assert {"content-type", "x-vitals-key"} <= allowed
        assert int(response.headers["access-control-max-age"]) > 0
        assert "access-control-allow-credentials" not in response.headers

    async def test_preflight_does_not_touch_redis(
        self, ingest: Any, redis_client: redis.asyncio.Redis
    ) -> None:
        """A preflight needs no key and writes nothing."""
        before = set(await redis_client.keys())  # the fixture's key registry and its marker
        response = await ingest.options("/v1/beacon", headers={"origin": ORIGIN})
        assert response.status_code == 204
        assert set(await redis_client.keys()) == before


class TestCorsHeaders:
    async def test_accepted_beacon_exposes_retry_after(
        self, ingest: Any, redis_client: redis.asyncio.Redis
    ) -> None:
        """A 202 carries the echoed origin and exposes Retry-After, without allowing credentials."""
        key = await publish_key(redis_client, project_id=3)
        response = await post_beacon(ingest, key, beacon("minimal"), headers={"origin": ORIGIN})
        assert response.status_code == 202
        assert response.headers["access-control-allow-origin"] == ORIGIN
        assert "retry-after" in response.headers["access-control-expose-headers"].lower()
        assert "origin" in response.headers["vary"].lower()
        assert "access-control-allow-credentials" not in response.headers

    async def test_errors_carry_cors_headers_too(
        self, ingest: Any, redis_client: redis.asyncio.Redis
    ) -> None:
        """Refusals (here 429, 403 and a Litestar-raised 413) are readable by the page's script."""
        key = await publish_key(redis_client, project_id=3, rate_limit_per_minute=0)
        limited = await post_beacon(ingest, key, beacon("minimal"), headers={"origin": ORIGIN})
        forbidden = await post_beacon(
            ingest, "vk_nope", beacon("minimal"), headers={"origin": ORIGIN}
        )
        too_big = await post_beacon(ingest, key, b" " * (70 * 1024), headers={"origin": ORIGIN})
        assert [limited.status_code, forbidden.status_code, too_big.status_code] == [429, 403, 413]
        for response in (limited, forbidden, too_big):
            assert response.headers["access-control-allow-origin"] == ORIGIN
            assert "retry-after" in response.headers["access-control-expose-headers"].lower()
