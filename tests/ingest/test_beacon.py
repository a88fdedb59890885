"""POST /v1/beacon answers every case of the status map, with the stable error shape."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
import redis.asyncio

from services.contracts import key_registry as registry
from services.contracts.keys import ProjectAccess, key_hash
from services.contracts.queue import BEACONS_FIELD, BEACONS_RECEIVED, RETRY_INTERVALS_S
from services.contracts.settings import Settings
from services.contracts.wire import decode
from services.ingest.body import MAX_BODY_BYTES
from services.ingest.ratelimit import WINDOW_S
from tests.ingest.conftest import (
    GOLDEN,
    beacon,
    ingest_client,
    no_keys,
    now_ms,
    post_beacon,
    publish_key,
    queued_beacons,
    queued_jobs,
    with_settings,
)

HOUR_MS = 3_600_000
MINUTE_MS = 60_000


class TestAccepted:
    async def test_202_enqueues_one_job_with_the_beacon(
        self, ingest: Any, redis_client: redis.asyncio.Redis, settings: Settings
    ) -> None:
        """A valid beacon is answered 202 with its report count, after a job holding it is in the queue."""
        key = await publish_key(redis_client, project_id=41)
        body = beacon("full")
        response = await post_beacon(ingest, key, body)
        assert response.status_code == 202, response.text
        assert response.json() == {"accepted": 5}
        jobs = queued_jobs(settings)
        assert len(jobs) == 1
        assert jobs[0].func_name == BEACONS_RECEIVED
        # The count the workers' claim reads (services/workers/absorption.py).
        assert await redis_client.hget(jobs[0].key, BEACONS_FIELD) == b"1"
        [accepted] = queued_beacons(settings)
        assert accepted.beacon == decode(json.dumps(body).encode())

    async def test_project_id_comes_from_the_key(
        self, ingest: Any, redis_client: redis.asyncio.Redis, settings: Settings
    ) -> None:
        """The enqueued beacon carries the project of the key it was sent with, and a body cannot name one."""
        key_a = await publish_key(redis_client, project_id=7)
        key_b = await publish_key(redis_client, project_id=8)
        assert (await post_beacon(ingest, key_a, beacon("minimal"))).status_code == 202
        assert (await post_beacon(ingest, key_b, beacon("minimal"))).status_code == 202
        assert [b.project_id for b in queued_beacons(settings)] == [7, 8]
        smuggled = await post_beacon(ingest, key_a, beacon("minimal", projectId=8))
        assert smuggled.status_code == 400
        assert len(queued_beacons(settings)) == 2

    async def test_request_facts_are_recorded_but_not_the_ip(
        self, ingest: Any, redis_client: redis.asyncio.Redis, settings: Settings
    ) -> None:
        """The job records the receipt time and user agent; no field anywhere holds the client address."""
        key = await publish_key(redis_client, project_id=3)
        before = now_ms()
        await post_beacon(ingest, key, beacon("minimal"), headers={"user-agent": "Firefox/133.0"})
        [accepted] = queued_beacons(settings)
        assert before <= accepted.received_at <= now_ms()
        assert accepted.user_agent == "Firefox/133.0"
        assert accepted.country == ""
        assert "testclient" not in queued_jobs(settings)[0].args[0]  # the test client's host

    async def test_country_comes_only_from_the_configured_proxy_header(
        self, settings: Settings, redis_client: redis.asyncio.Redis
    ) -> None:
        """With a trusted header configured its country is kept; without one a client's header is ignored."""
        key = await publish_key(redis_client, project_id=3)
        headers = {"cf-ipcountry": "de"}
        async with ingest_client(settings) as untrusting:
            await post_beacon(untrusting, key, beacon("minimal"), headers=headers)
        async with ingest_client(
            with_settings(settings, country_header="CF-IPCountry")
        ) as trusting:
            await post_beacon(trusting, key, beacon("minimal"), headers=headers)
            await post_beacon(trusting, key, beacon("minimal"), headers={"cf-ipcountry": "T1"})
        assert [b.country for b in queued_beacons(settings)] == ["", "DE", ""]

    async def test_job_retries_with_backoff_and_keeps_failures(
        self, ingest: Any, redis_client: redis.asyncio.Redis, settings: Settings
    ) -> None:
        """The job is JSON (no pickle), retries on the contract's backoff, has a timeout and a long failure TTL."""
        key = await publish_key(redis_client, project_id=3)
        await post_beacon(ingest, key, beacon("minimal"))
        [job] = queued_jobs(settings)
        assert job.retries_left == len(RETRY_INTERVALS_S)
        assert job.retry_intervals == list(RETRY_INTERVALS_S)
        assert job.timeout and job.timeout > 0
        assert job.failure_ttl is not None and job.failure_ttl >= 7 * 24 * 3600
        assert isinstance(job.args[0], str)
        raw = await redis_client.hget(f"rq:job:{job.id}", "data")
        assert raw is not None and b"\x80\x04" not in raw[:4]  # not a pickle protocol header

    async def test_key_in_header_is_accepted(
        self, ingest: Any, redis_client: redis.asyncio.Redis
    ) -> None:
        """fetch() callers may send the key in X-Vitals-Key instead of the query string."""
        key = await publish_key(redis_client, project_id=3)
        response = await post_beacon(ingest, None, beacon("minimal"), headers={"x-vitals-key": key})
        assert response.status_code == 202

    @pytest.mark.parametrize(
        "example", ["full", "minimal", "cls-rereport", "bfcache-restore", "soft-navigation"]
    )
    async def test_every_golden_valid_beacon_is_accepted(
        self, ingest: Any, redis_client: redis.asyncio.Redis, example: str
    ) -> None:
        """Each golden valid beacon, with a current time origin, is accepted."""
        key = await publish_key(redis_client, project_id=3)
        response = await post_beacon(ingest, key, beacon(example))
        assert response.status_code == 202, response.text


class TestMediaType:
    @pytest.mark.parametrize(
        "content_type",
        [
            "text/plain",
            "text/plain;charset=UTF-8",
            "application/json",
            "application/json; charset=utf-8",
        ],
    )
    async def test_beacon_and_fetch_types_are_accepted(
        self, ingest: Any, redis_client: redis.asyncio.Redis, content_type: str
    ) -> None:
        """sendBeacon's text/plain and fetch's application/json are accepted, with a UTF-8 charset or none."""
        key = await publish_key(redis_client, project_id=3)
        response = await post_beacon(ingest, key, beacon("minimal"), content_type=content_type)
        assert response.status_code == 202

    @pytest.mark.parametrize(
        "content_type",
        [
            None,
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json; charset=iso-8859-1",
            "application/octet-stream",
        ],
    )
    async def test_other_types_are_415(
        self,
        ingest: Any,
        redis_client: redis.asyncio.Redis,
        settings: Settings,
        content_type: str | None,
    ) -> None:
        """Any other or missing Content-Type is refused with 415 and nothing is enqueued."""
        key = await publish_key(redis_client, project_id=3)
        response = await post_beacon(ingest, key, beacon("minimal"), content_type=content_type)
        assert response.status_code == 415
        assert response.json()["error"] == "unsupported_media_type"
        assert queued_jobs(settings) == []

    @pytest.mark.parametrize("encoding", ["gzip", "br", "deflate", "identity, gzip"])
    async def test_compressed_bodies_are_415(
        self, ingest: Any, redis_client: redis.asyncio.Redis, encoding: str
    ) -> None:
        """A Content-Encoding other than identity is refused with 415."""
        key = await publish_key(redis_client, project_id=3)
        response = await post_beacon(
            ingest, key, beacon("minimal"), headers={"content-encoding": encoding}
        )
        assert response.status_code == 415
        assert response.json()["error"] == "unsupported_media_type"

    async def test_identity_encoding_is_accepted(
        self, ingest: Any, redis_client: redis.asyncio.Redis
    ) -> None:
        """Content-Encoding: identity is no encoding at all."""
        key = await publish_key(redis_client, project_id=3)
        response = await post_beacon(
            ingest, key, beacon("minimal"), headers={"content-encoding": "identity"}
        )
        assert response.status_code == 202


class TestBodySize:
    async def test_exactly_64_kib_is_accepted(
        self, ingest: Any, redis_client: redis.asyncio.Redis
    ) -> None:
        """A beacon of exactly 64 KiB is within the limit."""
        key = await publish_key(redis_client, project_id=3)
        body = _padded(beacon("full"), MAX_BODY_BYTES)
        response = await post_beacon(ingest, key, body)
        assert response.status_code == 202, response.text

    async def test_one_byte_over_with_honest_length_is_413(
        self, ingest: Any, redis_client: redis.asyncio.Redis, settings: Settings
    ) -> None:
        """A body one byte over 64 KiB, with a truthful Content-Length, is refused with 413."""
        key = await publish_key(redis_client, project_id=3)
        response = await post_beacon(ingest, key, _padded(beacon("full"), MAX_BODY_BYTES + 1))
        assert response.status_code == 413
        assert response.json()["error"] == "payload_too_large"
        assert queued_jobs(settings) == []

    async def test_understated_content_length_is_413(
        self, ingest: Any, redis_client: redis.asyncio.Redis, settings: Settings
    ) -> None:
        """A 100 KiB body announced as 100 bytes is still refused with 413: the bytes received are counted."""
        key = await publish_key(redis_client, project_id=3)
        body = _padded(beacon("full"), 100 * 1024)
        response = await post_beacon(ingest, key, body, headers={"content-length": "100"})
        assert response.status_code == 413
        assert queued_jobs(settings) == []

    async def test_overstated_content_length_is_413(
        self, ingest: Any, redis_client: redis.asyncio.Redis
    ) -> None:
        """A Content-Length over the limit is refused before the body is read."""
        key = await publish_key(redis_client, project_id=3)
        response = await post_beacon(
            ingest, key, beacon("minimal"), headers={"content-length": str(10 * MAX_BODY_BYTES)}
        )
        assert response.status_code == 413


class TestKeys:
    async def test_missing_key_is_401(self, ingest: Any, settings: Settings) -> None:
        """A beacon without a key in the query or header is refused with 401 missing_key."""
        response = await post_beacon(ingest, None, beacon("minimal"))
        assert response.status_code == 401
        assert response.json()["error"] == "missing_key"
        assert queued_jobs(settings) == []

    async def test_unknown_key_is_403(
        self, ingest: Any, redis_client: redis.asyncio.Redis, settings: Settings
    ) -> None:
        """A key that is not in the registry is refused with 403 forbidden and nothing is enqueued."""
        response = await post_beacon(ingest, "vk_not-a-real-key", beacon("minimal"))
        assert response.status_code == 403
        assert response.json() == {"error": "forbidden", "detail": "unknown or revoked key"}
        assert queued_jobs(settings) == []

    async def test_revoked_key_is_403_like_an_unknown_one_within_the_ttl(
        self, settings: Settings, redis_client: redis.asyncio.Redis
    ) -> None:
        """Once revoked, a key is refused within the cache TTL with exactly the body an unknown key gets."""
        ttl_s = 0.3
        async with ingest_client(with_settings(settings, key_cache_ttl_s=ttl_s)) as client:
            key = await publish_key(redis_client, project_id=3)
            assert (await post_beacon(client, key, beacon("minimal"))).status_code == 202
            await registry.withdraw(redis_client, [key_hash(key)])
            await asyncio.sleep(ttl_s + 0.05)
            revoked = await post_beacon(client, key, beacon("minimal"))
            unknown = await post_beacon(client, "vk_never-issued", beacon("minimal"))
        assert revoked.status_code == unknown.status_code == 403
        assert revoked.content == unknown.content

    async def test_new_key_is_honoured_after_a_cached_refusal_expires(
        self, settings: Settings, redis_client: redis.asyncio.Redis
    ) -> None:
        """A refusal is cached for the TTL only: a key published after one is accepted once it expires."""
        ttl_s = 0.3
        await registry.rebuild(redis_client, no_keys)
        async with ingest_client(with_settings(settings, key_cache_ttl_s=ttl_s)) as client:
            key = "vk_published-late"
            assert (await post_beacon(client, key, beacon("minimal"))).status_code == 403
            await registry.publish(redis_client, {key_hash(key): ProjectAccess(project_id=5)})
            await asyncio.sleep(ttl_s + 0.05)
            assert (await post_beacon(client, key, beacon("minimal"))).status_code == 202

    async def test_origin_outside_the_allow_list_is_403(
        self, ingest: Any, redis_client: redis.asyncio.Redis, settings: Settings
    ) -> None:
        """With an allow-list, a foreign or missing Origin is refused with 403 origin_not_allowed; a listed one is accepted."""
        key = await publish_key(
            redis_client, project_id=3, allowed_origins=("https://shop.example.com",)
        )
        foreign = await post_beacon(
            ingest, key, beacon("minimal"), headers={"origin": "https://evil.example.net"}
        )
        missing = await post_beacon(ingest, key, beacon("minimal"))
        assert foreign.status_code == missing.status_code == 403
        assert foreign.json()["error"] == missing.json()["error"] == "origin_not_allowed"
        assert queued_jobs(settings) == []
        listed = await post_beacon(
            ingest, key, beacon("minimal"), headers={"origin": "https://SHOP.example.com"}
        )
        assert listed.status_code == 202

    async def test_empty_allow_list_admits_any_origin(
        self, ingest: Any, redis_client: redis.asyncio.Redis
    ) -> None:
        """A project without an allow-list accepts beacons from any origin."""
        key = await publish_key(redis_client, project_id=3)
        response = await post_beacon(
            ingest, key, beacon("minimal"), headers={"origin": "https://anywhere.example"}
        )
        assert response.status_code == 202

    async def test_unreadable_registry_entry_is_503_not_403(
        self, ingest: Any, redis_client: redis.asyncio.Redis
    ) -> None:
        """A corrupt registry entry is the operator's fault: 503, never a 403 that drops data silently, never a 500."""
        await redis_client.hset("vitals:keys", key_hash("vk_corrupt"), b"{not json")
        response = await post_beacon(ingest, "vk_corrupt", beacon("minimal"))
        assert response.status_code == 503
        assert response.json()["error"] == "key_registry_invalid"


INVALID_EXPECTED: dict[str, dict[str, str]] = json.loads(
    (GOLDEN / "invalid" / "expected.json").read_text()
)


class TestValidation:
    @pytest.mark.parametrize("name", sorted(INVALID_EXPECTED))
    async def test_every_golden_invalid_beacon_is_400(
        self, ingest: Any, redis_client: redis.asyncio.Redis, settings: Settings, name: str
    ) -> None:
        """Each golden invalid beacon is refused with 400 invalid_beacon naming what is wrong, and nothing is enqueued."""
        key = await publish_key(redis_client, project_id=3)
        response = await post_beacon(ingest, key, (GOLDEN / "invalid" / name).read_bytes())
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_beacon"
        assert INVALID_EXPECTED[name]["error"] in response.json()["detail"]
        assert queued_jobs(settings) == []

    async def test_detail_carries_the_json_path(
        self, ingest: Any, redis_client: redis.asyncio.Redis
    ) -> None:
        """The 400's detail points at the offending field."""
        key = await publish_key(redis_client, project_id=3)
        body = beacon("full")
        body["reports"][2]["attribution"]["resourceLoadDelay"] = "slow"
        response = await post_beacon(ingest, key, body)
        assert response.status_code == 400
        assert "$.reports[2].attribution.resourceLoadDelay" in response.json()["detail"]

    @pytest.mark.parametrize(
        "offset_ms", [-49 * HOUR_MS, 11 * MINUTE_MS], ids=["49h-ago", "11min-ahead"]
    )
    async def test_time_origin_outside_the_window_is_400(
        self, ingest: Any, redis_client: redis.asyncio.Redis, settings: Settings, offset_ms: int
    ) -> None:
        """A time origin more than 48 h old or 10 min ahead is refused with 400, never clamped."""
        key = await publish_key(redis_client, project_id=3)
        response = await post_beacon(
            ingest, key, beacon("minimal", timeOrigin=now_ms() + offset_ms)
        )
        assert response.status_code == 400
        assert response.json()["error"] == "time_origin_out_of_window"
        assert queued_jobs(settings) == []

    @pytest.mark.parametrize(
        "offset_ms", [-47 * HOUR_MS, 9 * MINUTE_MS], ids=["47h-ago", "9min-ahead"]
    )
    async def test_time_origin_inside_the_window_is_kept_as_sent(
        self, ingest: Any, redis_client: redis.asyncio.Redis, settings: Settings, offset_ms: int
    ) -> None:
        """A time origin inside the window is accepted and enqueued unchanged."""
        key = await publish_key(redis_client, project_id=3)
        origin = now_ms() + offset_ms
        response = await post_beacon(ingest, key, beacon("minimal", timeOrigin=origin))
        assert response.status_code == 202
        assert queued_beacons(settings)[0].beacon.time_origin == origin


class TestRateLimit:
    async def test_over_the_limit_is_429_with_integer_retry_after(
        self, ingest: Any, redis_client: redis.asyncio.Redis, settings: Settings
    ) -> None:
        """Past its per-minute limit a project gets 429 with a whole-second Retry-After, and nothing more is enqueued."""
        await _clear_of_window_edge()
        key = await publish_key(redis_client, project_id=3, rate_limit_per_minute=3)
        statuses = [
            (await post_beacon(ingest, key, beacon("minimal"))).status_code for _ in range(3)
        ]
        assert statuses == [202, 202, 202]
        limited = await post_beacon(ingest, key, beacon("minimal"))
        assert limited.status_code == 429
        assert limited.json()["error"] == "rate_limited"
        retry_after = limited.headers["retry-after"]
        assert retry_after.isdigit() and 1 <= int(retry_after) <= WINDOW_S
        assert len(queued_beacons(settings)) == 3

    async def test_another_project_is_unaffected(
        self, ingest: Any, redis_client: redis.asyncio.Redis
    ) -> None:
        """One project over its limit does not limit another."""
        await _clear_of_window_edge()
        noisy = await publish_key(redis_client, project_id=3, rate_limit_per_minute=1)
        quiet = await publish_key(redis_client, project_id=4, rate_limit_per_minute=1)
        assert (await post_beacon(ingest, noisy, beacon("minimal"))).status_code == 202
        assert (await post_beacon(ingest, noisy, beacon("minimal"))).status_code == 429
        assert (await post_beacon(ingest, quiet, beacon("minimal"))).status_code == 202


class TestBackpressure:
    async def test_queue_over_its_bound_is_503_queue_full(
        self, settings: Settings, redis_client: redis.asyncio.Redis
    ) -> None:
        """With more jobs waiting than max_queue_depth, beacons get 503 queue_full with Retry-After, until the queue drains."""
        async with ingest_client(with_settings(settings, max_queue_depth=3)) as client:
            key = await publish_key(redis_client, project_id=3)
            await redis_client.rpush("rq:queue:beacons", *[f"backlog-{i}" for i in range(4)])
            full = await post_beacon(client, key, beacon("minimal"))
            assert full.status_code == 503
            assert full.json()["error"] == "queue_full"
            assert int(full.headers["retry-after"]) > 0
            assert await redis_client.llen("rq:queue:beacons") == 4
            await redis_client.delete("rq:queue:beacons")
            await asyncio.sleep(0.15)  # the depth is re-read at most every 0.1 s
            assert (await post_beacon(client, key, beacon("minimal"))).status_code == 202


class TestBots:
    @pytest.mark.parametrize(
        "user_agent",
        [
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        ],
        ids=["headless-chrome", "googlebot"],
    )
    async def test_bot_beacon_is_202_and_not_enqueued(
        self, ingest: Any, redis_client: redis.asyncio.Redis, settings: Settings, user_agent: str
    ) -> None:
        """A bot's beacon is answered 202 like any other, but nothing is enqueued."""
        key = await publish_key(redis_client, project_id=3)
        response = await post_beacon(
            ingest, key, beacon("full"), headers={"user-agent": user_agent}
        )
        assert response.status_code == 202
        assert response.json() == {"accepted": 5}
        assert queued_jobs(settings) == []

    async def test_bot_filter_is_per_project(
        self, ingest: Any, redis_client: redis.asyncio.Redis, settings: Settings
    ) -> None:
        """A project that turned bot filtering off gets headless browsers' beacons enqueued."""
        key = await publish_key(redis_client, project_id=3, filter_bots=False)
        headless = "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/131.0.0.0 Safari/537.36"
        response = await post_beacon(
            ingest, key, beacon("minimal"), headers={"user-agent": headless}
        )
        assert response.status_code == 202
        assert [b.user_agent for b in queued_beacons(settings)] == [headless]


def _padded(body: dict[str, Any], size: int) -> bytes:
    """The beacon as JSON, padded with insignificant whitespace to exactly `size` bytes."""
    encoded = json.dumps(body).encode()
    assert len(encoded) < size
    return encoded[:-1] + b" " * (size - len(encoded)) + b"}"


async def _clear_of_window_edge() -> None:
    """Waits out the last two seconds of a rate-limit window, so a test's requests share one."""
    into_window = time.time() % WINDOW_S
    if into_window > WINDOW_S - 2:
        await asyncio.sleep(WINDOW_S - into_window + 0.05)


class TestBareEndpoint:
    """POST /v1/beacon is served ahead of Litestar's routing (services/ingest/beacon.py):
    the edges Litestar used to handle are this code's to get right."""

    async def test_other_methods_are_405_in_the_error_shape(self, ingest: Any) -> None:
        """GET, PUT and DELETE on the beacon path are Litestar's 405, in the one error shape."""
        for method in ("GET", "PUT", "DELETE"):
            response = await ingest.request(method, "/v1/beacon")
            assert response.status_code == 405, method
            assert response.json()["error"] == "method_not_allowed"

    async def test_the_first_key_of_the_query_counts_and_is_percent_decoded(
        self, ingest: Any, redis_client: redis.asyncio.Redis, settings: Settings
    ) -> None:
        """?key= is read as a query string is: percent-decoded, the first of repeated keys wins."""
        key = await publish_key(redis_client, project_id=12)
        encoded = "".join(f"%{byte:02X}" for byte in key.encode())
        response = await ingest.post(
            f"/v1/beacon?other=1&key={encoded}&key=vk_wrong",
            content=json.dumps(beacon("minimal")),
            headers={"content-type": "text/plain;charset=UTF-8"},
        )
        assert response.status_code == 202, response.text
        [accepted] = queued_beacons(settings)
        assert accepted.project_id == 12

    async def test_an_unexpected_error_is_a_logged_500_with_its_request_id(
        self, ingest: Any, redis_client: redis.asyncio.Redis, settings: Settings
    ) -> None:
        """A bug nobody mapped: 500 internal_error with the id the X-Request-Id header carries,
        the CORS headers kept so the page's script can read it, and nothing enqueued."""
        key = await publish_key(redis_client, project_id=12)
        intake = ingest.app.state.intake

        async def broken_commit(*_: Any) -> None:
            raise RuntimeError("a bug in the group commit")

        intake._commit.commit = broken_commit  # a fault in our own code, not in a dependency
        response = await post_beacon(
            ingest, key, beacon("minimal"), headers={"origin": "https://shop.example"}
        )
        assert response.status_code == 500
        body = response.json()
        assert body["error"] == "internal_error"
        assert body["request_id"] == response.headers["x-request-id"]
        assert response.headers["access-control-allow-origin"] == "https://shop.example"
        assert queued_jobs(settings) == []
