"""/metrics counts every beacon by outcome and reason, responses by status, and the queue depth."""

from __future__ import annotations

from typing import Any

import redis.asyncio
from prometheus_client.parser import text_string_to_metric_families

from tests.ingest.conftest import beacon, metric, post_beacon, publish_key
from tests.support.ops import OPS_HEADERS

HEADLESS = "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/131.0.0.0 Safari/537.36"


class TestMetrics:
    async def test_exposition_is_prometheus_text(self, ingest: Any) -> None:
        """/metrics answers in the Prometheus text format with the ingest families."""
        response = await ingest.get("/metrics", headers=OPS_HEADERS)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        names = {f.name for f in text_string_to_metric_families(response.text)}
        assert {
            "vitals_ingest_beacons", "vitals_ingest_reports", "vitals_ingest_responses",
            "vitals_ingest_queue_depth",
        } <= names  # fmt: skip

    async def test_counters_follow_outcomes(
        self, ingest: Any, redis_client: redis.asyncio.Redis
    ) -> None:
        """Accepted, bot, invalid and forbidden beacons each move their own counter, reports where they were decoded."""
        key = await publish_key(redis_client, project_id=3)
        await post_beacon(ingest, key, beacon("full"))
        await post_beacon(ingest, key, beacon("full"), headers={"user-agent": HEADLESS})
        await post_beacon(ingest, key, b"{not json")
        await post_beacon(ingest, "vk_nope", beacon("full"))

        async def beacons(outcome: str, reason: str) -> float:
            return await metric(
                ingest, "vitals_ingest_beacons_total", outcome=outcome, reason=reason
            )

        async def reports(outcome: str, reason: str) -> float:
            return await metric(
                ingest, "vitals_ingest_reports_total", outcome=outcome, reason=reason
            )

        assert await beacons("accepted", "") == 1
        assert await reports("accepted", "") == 5
        assert await beacons("dropped", "bot") == 1
        assert await reports("dropped", "bot") == 5
        assert await beacons("dropped", "invalid_beacon") == 1
        assert await beacons("dropped", "forbidden") == 1

    async def test_responses_are_counted_by_status(
        self, ingest: Any, redis_client: redis.asyncio.Redis
    ) -> None:
        """Every beacon response is counted under its HTTP status."""
        key = await publish_key(redis_client, project_id=3)
        await post_beacon(ingest, key, beacon("minimal"))
        await post_beacon(ingest, key, beacon("minimal"))
        await post_beacon(ingest, None, beacon("minimal"))
        assert await metric(ingest, "vitals_ingest_responses_total", status="202") == 2
        assert await metric(ingest, "vitals_ingest_responses_total", status="401") == 1

    async def test_queue_depth_gauge_reads_the_queue(
        self, ingest: Any, redis_client: redis.asyncio.Redis
    ) -> None:
        """The queue depth gauge reports the jobs waiting in the beacons queue."""
        await redis_client.rpush("rq:queue:beacons", "a", "b", "c")
        assert await metric(ingest, "vitals_ingest_queue_depth") == 3
