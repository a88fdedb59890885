"""Hostile requests to ingest: bodies msgspec cannot read, request ids, the ops endpoints."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis.asyncio

from services.contracts.settings import Settings, SettingsError
from services.ingest.app import create_app
from tests.ingest.conftest import beacon, ingest_client, post_beacon, publish_key, with_settings
from tests.support.ops import OPS_HEADERS

INVALID_UTF8 = {"raw_ff_fe": b"\xff\xfe", "lone_surrogate_bytes": b"\xed\xa0\x80"}


def with_bytes_in_url(raw: bytes) -> bytes:
    """A valid beacon whose URL string carries raw bytes that are not UTF-8."""
    text = json.dumps(beacon("minimal", url="https://shop.example/PLACEHOLDER"))
    return text.encode().replace(b"PLACEHOLDER", raw)


class TestUnreadableBodies:
    @pytest.mark.parametrize("raw", INVALID_UTF8.values(), ids=INVALID_UTF8.keys())
    @pytest.mark.parametrize("content_type", ["text/plain;charset=UTF-8", "application/json"])
    @pytest.mark.parametrize("key_in", ["query", "header"])
    async def test_invalid_utf8_is_refused_with_400(
        self,
        ingest: Any,
        redis_client: redis.asyncio.Redis,
        raw: bytes,
        content_type: str,
        key_in: str,
    ) -> None:
        """Invalid UTF-8 inside a JSON string is 400 invalid_beacon, whatever the content type or key placement."""
        key = await publish_key(redis_client, 1)
        response = await post_beacon(
            ingest,
            key if key_in == "query" else None,
            with_bytes_in_url(raw),
            content_type=content_type,
            headers={"x-vitals-key": key} if key_in == "header" else None,
        )
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_beacon"
        assert "UTF-8" in response.json()["detail"]

    @pytest.mark.parametrize("opener", [b"[", b'{"a":'])
    async def test_deep_nesting_is_refused_with_400(
        self, ingest: Any, redis_client: redis.asyncio.Redis, opener: bytes
    ) -> None:
        """JSON nested past the decoder's depth limit is 400 invalid_beacon, not a crash."""
        key = await publish_key(redis_client, 1)
        response = await post_beacon(ingest, key, opener * 5_000)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_beacon"


class TestRequestIds:
    async def test_every_response_carries_a_request_id(self, ingest: Any) -> None:
        """Beacon refusals, probes and unknown routes all answer with an X-Request-Id, each its own."""
        responses = [
            await ingest.post("/v1/beacon", content=b"{}"),
            await ingest.get("/health"),
            await ingest.get("/no/such/route"),
        ]
        ids = [response.headers.get("x-request-id") for response in responses]
        assert all(ids) and len(set(ids)) == len(ids)
        assert responses[2].json()["error"] == "not_found"

    async def test_a_sane_incoming_id_is_kept(self, ingest: Any) -> None:
        """A caller's short, safe X-Request-Id is echoed, so a proxy's id follows the request."""
        response = await ingest.get("/health", headers={"x-request-id": "edge-42.abc:1"})
        assert response.headers["x-request-id"] == "edge-42.abc:1"

    @pytest.mark.parametrize("incoming", ["x" * 65, "a b", "semi;colon", 'quote"'])
    async def test_an_unsafe_incoming_id_is_replaced(self, ingest: Any, incoming: str) -> None:
        """An over-long id or one with unsafe characters is replaced, so it cannot forge log lines."""
        response = await ingest.get("/health", headers={"x-request-id": incoming})
        assert response.headers["x-request-id"] not in ("", incoming)


class TestOpsEndpoints:
    async def test_metrics_need_the_ops_token(self, ingest: Any) -> None:
        """/metrics answers 401 without the ops token or with a wrong one, 200 with it."""
        assert (await ingest.get("/metrics")).status_code == 401
        wrong = await ingest.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401
        assert wrong.json()["error"] == "invalid_ops_token"
        assert (await ingest.get("/metrics", headers=OPS_HEADERS)).status_code == 200

    async def test_without_a_token_configured_metrics_do_not_exist(
        self, settings: Settings, redis_client: redis.asyncio.Redis
    ) -> None:
        """With no VITALS_OPS_TOKEN, /metrics answers 404 to everyone, a bearer included."""
        async with ingest_client(with_settings(settings, ops_token=None)) as client:
            response = await client.get("/metrics", headers=OPS_HEADERS)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"

    async def test_ready_tells_its_reasons_only_to_the_ops_token(self, ingest: Any) -> None:
        """/ready's status is public; which checks ran is told only with the ops token."""
        public = await ingest.get("/ready")
        assert public.json() == {"status": public.json()["status"]}
        detailed = await ingest.get("/ready", headers=OPS_HEADERS)
        assert "checked" in detailed.json() or "failing" in detailed.json()

    async def test_a_short_ops_token_is_refused_at_start(self, settings: Settings) -> None:
        """An ops token shorter than 16 bytes stops the app from being built, naming the variable."""
        with pytest.raises(SettingsError, match="VITALS_OPS_TOKEN"):
            create_app(with_settings(settings, ops_token="short"))
