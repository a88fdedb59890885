"""Beacons refused during an outage are logged as one summary line a second with counts per
reason, not one line each (the real app, its own Redis stopped, logs read as JSON)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
import redis.asyncio

from services.contracts.settings import Settings
from tests.ingest.conftest import beacon, ingest_client, post_beacon, publish_key
from tests.support.processes import RedisServer

BEACONS = 60


def refusal_lines(stderr: str) -> list[dict[str, Any]]:
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [e for e in events if e["event"] in ("beacons_refused", "beacon_refused")]


class TestRefusalLog:
    async def test_a_burst_of_refusals_is_a_summary_not_a_line_each(
        self,
        settings: Settings,
        private_redis: RedisServer,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """The first refusal after a quiet second is logged at once; the rest of a burst come as at most one line a second whose counts add up to every refused beacon."""
        outage = Settings(
            database_url=settings.database_url,
            redis_url=private_redis.url,
            redis_timeout_s=0.5,
            log_format="json",
        )
        async with redis.asyncio.Redis.from_url(private_redis.url) as client:
            key = await publish_key(client, project_id=3)
        stderr = ""
        async with ingest_client(outage) as ingest:
            private_redis.stop()
            started = time.monotonic()
            first = await post_beacon(ingest, key, beacon("minimal"))
            assert first.status_code == 503
            stderr += capsys.readouterr().err
            assert [line["beacons"] for line in refusal_lines(stderr)] == [1]
            for _ in range(BEACONS - 1):
                assert (await post_beacon(ingest, key, beacon("minimal"))).status_code == 503
            elapsed_s = time.monotonic() - started
            await asyncio.sleep(1.2)  # the summary of the rest is due within a second
            stderr += capsys.readouterr().err
        lines = refusal_lines(stderr)
        print(f"\n{BEACONS} refused beacons in {elapsed_s:.2f}s: {len(lines)} log lines")
        assert {line["event"] for line in lines} == {"beacons_refused"}
        # A summary speaks for many requests, so it names the service and no one request.
        assert all(line["service"] == "ingest" and "request_id" not in line for line in lines)
        # One at once, then at most one a second of the burst, plus the one a second later.
        assert len(lines) <= 2 + int(elapsed_s)
        assert sum(line["beacons"] for line in lines) == BEACONS
        assert sum(line["reasons"]["queue_unavailable"] for line in lines) == BEACONS
