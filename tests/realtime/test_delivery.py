"""From a worker's published batch to the dashboard's socket: latency, rate bound, fan-out."""

from __future__ import annotations

import asyncio
import itertools
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import redis

from services.contracts.live import LIVE_STREAM, LIVE_STREAM_FIELD, publish_batch
from services.contracts.metrics import Metric, bin_of
from services.contracts.settings import Settings
from tests.realtime.conftest import realtime_settings, start_realtime
from tests.realtime.live import make_batch
from tests.support.processes import RedisServer, ServiceProcess


class TestVitalsEvent:
    async def test_event_arrives_within_a_second(
        self,
        realtime: ServiceProcess,
        token: Callable[..., str],
        publisher: redis.Redis,
        project_ids: Callable[[int], list[int]],
        live_client: Any,
    ) -> None:
        """A published batch reaches a subscribed client as a `vitals` event within 1 s, with its contents."""
        (project,) = project_ids(1)
        batch = make_batch(project, values=(900.0, 3000.0), route="/checkout")
        async with live_client(realtime.url, token([project])) as client:
            published_at = time.monotonic()
            publish_batch(publisher, batch)
            await client.wait_for(client.vitals, timeout=1)
        received_at, event = client.events["vitals"][0]
        assert received_at - published_at < 1.0
        assert event["v"] == 1
        assert event["project_id"] == project
        assert event["counts"] == {"LCP": 2}
        assert event["bins"] == {"LCP": {str(b): c for b, c in batch.bins["LCP"].items()}}
        assert [pv["route"] for pv in event["page_views"]] == ["/checkout", "/checkout"]
        assert event["page_views"][1]["values"] == [
            {"metric": "LCP", "value": 3000.0, "rating": "needs-improvement"}
        ]

    async def test_rate_is_bounded_and_sums_are_exact(
        self,
        realtime: ServiceProcess,
        token: Callable[..., str],
        publisher: redis.Redis,
        project_ids: Callable[[int], list[int]],
        live_client: Any,
    ) -> None:
        """100 batches within 1 s arrive as at most ~5 events, ≥ 0.25 s apart, whose counts and bins add up exactly."""
        (project,) = project_ids(1)
        values = [float(100 + 37 * i) for i in range(100)]
        async with live_client(realtime.url, token([project])) as client:
            started = time.monotonic()
            for i, value in enumerate(values):
                publish_batch(publisher, make_batch(project, values=(value,), route=f"/p{i}"))
                await asyncio.sleep(max(0.0, started + (i + 1) / 100 - time.monotonic()))
            await client.wait_for(lambda: client.count() >= 100, timeout=2)
            await asyncio.sleep(0.6)
        arrivals = [t for t, _ in client.events["vitals"]]
        assert len(arrivals) <= 6, f"{len(arrivals)} events for 100 batches in 1 s"
        assert all(later - earlier >= 0.2 for earlier, later in itertools.pairwise(arrivals))
        assert client.count() == 100
        expected: dict[str, int] = {}
        for value in values:
            key = str(bin_of(Metric.LCP, value))
            expected[key] = expected.get(key, 0) + 1
        received: dict[str, int] = {}
        for event in client.vitals():
            for key, delta in event["bins"]["LCP"].items():
                received[key] = received.get(key, 0) + delta
        assert received == expected
        assert client.vitals()[-1]["page_views"][-1]["route"] == "/p99"
        assert all(len(event["page_views"]) <= 20 for event in client.vitals())

    async def test_malformed_entry_is_skipped_not_fatal(
        self,
        realtime: ServiceProcess,
        token: Callable[..., str],
        publisher: redis.Redis,
        project_ids: Callable[[int], list[int]],
        live_client: Any,
    ) -> None:
        """An entry that is not a LiveBatch is logged and skipped; the batches after it still arrive."""
        (project,) = project_ids(1)
        async with live_client(realtime.url, token([project])) as client:
            publisher.xadd(LIVE_STREAM, {LIVE_STREAM_FIELD: b'{"project_id": "not a number"}'})
            publisher.xadd(LIVE_STREAM, {"unexpected": b"field"})
            publish_batch(publisher, make_batch(project, route="/after-garbage"))
            await client.wait_for(client.routes, timeout=1)
        assert client.routes() == ["/after-garbage"]
        assert realtime.log_path.read_text().count("live_batch_malformed") >= 2


class TestStatusEvent:
    async def test_status_when_p75_crosses_a_threshold(
        self,
        realtime: ServiceProcess,
        token: Callable[..., str],
        publisher: redis.Redis,
        project_ids: Callable[[int], list[int]],
        live_client: Any,
    ) -> None:
        """A `status` event rates the rolling p75 once enough reports arrive, and again when it crosses into poor."""
        (project,) = project_ids(1)
        async with live_client(realtime.url, token([project])) as client:
            publish_batch(publisher, make_batch(project, values=(1000.0,) * 30))
            await client.wait_for(lambda: client.events["status"], timeout=1)
            publish_batch(publisher, make_batch(project, values=(1100.0,) * 10))
            await asyncio.sleep(0.4)
            assert len(client.events["status"]) == 1, "no status event while the rating holds"
            publish_batch(publisher, make_batch(project, values=(6000.0,) * 100))
            await client.wait_for(lambda: len(client.events["status"]) == 2, timeout=1)
        first, second = (data for _, data in client.events["status"])
        assert first["project_id"] == project
        assert (first["metric"], first["rating"], first["previous"], first["samples"]) == (
            "LCP",
            "good",
            None,
            30,
        )
        assert abs(first["p75"] - 1000.0) <= 10.0
        assert (second["rating"], second["previous"], second["samples"]) == ("poor", "good", 140)
        assert abs(second["p75"] - 6000.0) <= 60.0

    async def test_too_few_reports_are_not_rated(
        self,
        realtime: ServiceProcess,
        token: Callable[..., str],
        publisher: redis.Redis,
        project_ids: Callable[[int], list[int]],
        live_client: Any,
    ) -> None:
        """A handful of poor reports yields `vitals` events but no `status` until the window holds enough."""
        (project,) = project_ids(1)
        async with live_client(realtime.url, token([project])) as client:
            publish_batch(publisher, make_batch(project, values=(9000.0,) * 5))
            await client.wait_for(client.vitals, timeout=1)
            await asyncio.sleep(0.4)
        assert client.events["status"] == []


class TestInstances:
    @pytest.fixture
    def two_instances(
        self, base_settings: Settings, live_redis: RedisServer
    ) -> Iterator[tuple[ServiceProcess, ServiceProcess]]:
        first = start_realtime(realtime_settings(base_settings, live_redis.url))
        try:
            second = start_realtime(realtime_settings(base_settings, live_redis.url))
        except BaseException:
            first.stop()
            raise
        try:
            yield first, second
        finally:
            first.stop()
            second.stop()

    async def test_each_client_receives_every_event_once(
        self,
        two_instances: tuple[ServiceProcess, ServiceProcess],
        token: Callable[..., str],
        publisher: redis.Redis,
        project_ids: Callable[[int], list[int]],
        live_client: Any,
    ) -> None:
        """Two instances, one client on each: both clients receive every batch exactly once."""
        (project,) = project_ids(1)
        first, second = two_instances
        routes = [f"/r{i}" for i in range(6)]
        async with (
            live_client(first.url, token([project])) as one,
            live_client(second.url, token([project])) as other,
        ):
            for route in routes:
                publish_batch(publisher, make_batch(project, route=route))
                await asyncio.sleep(0.3)  # longer than the throttle interval: one event per batch
            await one.wait_for(lambda: len(one.routes()) >= 6, timeout=1)
            await other.wait_for(lambda: len(other.routes()) >= 6, timeout=1)
            await asyncio.sleep(0.6)
        assert one.routes() == routes
        assert other.routes() == routes
        assert one.count() == other.count() == 6


class TestRedisOutage:
    @pytest.mark.parametrize(
        ("sig", "down_s"),
        [(signal.SIGTERM, 1.0), (signal.SIGKILL, 5.0)],
        ids=["restart", "crash-5s"],
    )
    async def test_events_flow_again_after_redis_restarts(
        self,
        base_settings: Settings,
        private_redis: RedisServer,
        token: Callable[..., str],
        live_client: Any,
        sig: int,
        down_s: float,
    ) -> None:
        """After Redis stops and comes back, later batches arrive without restarting the realtime server."""
        service = start_realtime(realtime_settings(base_settings, private_redis.url))
        publisher = redis.Redis.from_url(private_redis.url)
        try:
            async with live_client(service.url, token([7])) as client:
                publish_batch(publisher, make_batch(7, route="/before"))
                await client.wait_for(client.routes, timeout=1)

                private_redis.stop(sig)
                await asyncio.sleep(down_s)
                assert httpx.get(service.url + "/ready", timeout=10).status_code == 503
                private_redis.start()

                restarted_at = time.monotonic()
                publish_batch(publisher, make_batch(7, route="/after"))
                # Reconnect backoff is capped at 2 s; the stream keeps what was appended meanwhile.
                await client.wait_for(lambda: "/after" in client.routes(), timeout=4)
                assert client.sio.connected
            assert client.routes() == ["/before", "/after"]
            assert time.monotonic() - restarted_at < 4
            assert httpx.get(service.url + "/ready", timeout=10).status_code == 200
            log = service.log_path.read_text()
            assert "live_feed_interrupted" in log and "live_feed_resumed" in log
        finally:
            publisher.close()
            service.stop()
