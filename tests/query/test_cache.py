"""The result cache: hits skip the database, entries never cross projects, identical misses
share one query, a cache Redis that is down or hung only makes answers slower, and data
that arrives late for a cached window is in the next answer."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import redis.asyncio
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY

from services.contracts.metrics import Metric
from services.contracts.settings import Settings
from services.query.app import create_app
from services.query.cache import CLOSED_TTL_S, OPEN_TTL_S, VERSIONED_TTL_S
from services.query.singleflight import SingleFlight
from services.workers import jobs, runtime
from tests.query.conftest import bearer
from tests.query.seeding import ROLLUP_TABLES, Seeder, Vital
from tests.support.ops import OPS_HEADERS
from tests.support.processes import RedisServer, ServiceProcess, uvicorn_service
from tests.workers import factories

CLOSED = {"from": "2025-03-03T00:00:00Z", "to": "2025-03-04T00:00:00Z"}


# One computed summary is two statements: its metrics split over two connections
# (reads/histograms.py).
SUMMARY_STATEMENTS = 2


def statements(name: str = "quantiles") -> float:
    return REGISTRY.get_sample_value("vitals_query_statements_total", {"name": name}) or 0.0


async def seed_lcp(
    seed: Seeder,
    slug: str,
    values: list[float],
    when: datetime = datetime(2025, 3, 3, 12, tzinfo=UTC),
) -> int:
    project = await seed.project(slug)
    page = await seed.page(project)
    await seed.vitals(
        [
            Vital(project, when + timedelta(seconds=i), Metric.LCP, v, page)
            for i, v in enumerate(values)
        ]
    )
    await seed.recount()
    return project


async def lcp_count(
    client: AsyncTestClient,
    settings: Settings,
    project: int,
    headers: dict[str, str] | None = None,
    **params: Any,
) -> int:
    response = await client.get(
        f"/v1/projects/{project}/summary",
        params=params or CLOSED,
        headers={**bearer(settings, [project]), **(headers or {})},
    )
    assert response.status_code == 200, response.text
    count: int = response.json()["metrics"]["LCP"]["current"]["count"]
    return count


class TestResultCache:
    async def test_second_call_is_served_from_the_cache(
        self,
        client: AsyncTestClient,
        seed: Seeder,
        db: asyncpg.Connection,
        query_settings: Settings,
    ) -> None:
        """After the data is deleted, a repeated closed-range query still answers the cached numbers without a statement."""
        project = await seed_lcp(seed, "shop", [1000.0, 2000.0, 3000.0])
        assert await lcp_count(client, query_settings, project) == 3
        await db.execute(f"TRUNCATE vitals, {', '.join(ROLLUP_TABLES)}")
        before = statements()
        assert await lcp_count(client, query_settings, project) == 3
        assert statements() == before
        # Cache-Control: no-cache computes afresh, which proves the rows are really gone.
        assert await lcp_count(client, query_settings, project, {"Cache-Control": "no-cache"}) == 0

    async def test_projects_never_share_an_entry(
        self,
        client: AsyncTestClient,
        seed: Seeder,
        cache: redis.asyncio.Redis,
        query_settings: Settings,
    ) -> None:
        """Two projects asking the identical question each get their own numbers and their own cache entry."""
        first = await seed_lcp(seed, "first", [1000.0])
        second = await seed_lcp(seed, "second", [1000.0, 1000.0])
        assert await lcp_count(client, query_settings, first) == 1
        assert await lcp_count(client, query_settings, second) == 2
        assert await lcp_count(client, query_settings, first) == 1
        keys = sorted(k.decode() for k in await cache.keys("vitals:query:*"))
        assert len(keys) == 2
        assert f":{first}:summary:" in keys[0] and f":{second}:summary:" in keys[1]

    async def test_closed_and_open_ranges_get_their_ttls(
        self,
        client: AsyncTestClient,
        seed: Seeder,
        cache: redis.asyncio.Redis,
        query_settings: Settings,
    ) -> None:
        """A window in the past is cached for an hour, one that touches now for seconds."""
        project = await seed_lcp(seed, "shop", [1000.0])
        await lcp_count(client, query_settings, project)
        await lcp_count(client, query_settings, project, range="24h")
        ttls = sorted([await cache.ttl(key) for key in await cache.keys("vitals:query:*")])
        assert 0 < ttls[0] <= OPEN_TTL_S
        assert CLOSED_TTL_S - 60 < ttls[1] <= CLOSED_TTL_S


class TestSingleFlight:
    @pytest.fixture
    def served(self, query_settings: Settings) -> Iterator[ServiceProcess]:
        """The query service as production runs it, so requests are truly concurrent."""
        service = uvicorn_service("query", "services.query.app:create_app", query_settings)
        try:
            service.wait_healthy()
            yield service
        finally:
            service.stop()

    @staticmethod
    def served_statements(service: ServiceProcess) -> float:
        """The process's own count of quantile statements, from its /metrics."""
        text = httpx.get(service.url + "/metrics", headers=OPS_HEADERS).text
        line = next(
            (
                row
                for row in text.splitlines()
                if row.startswith('vitals_query_statements_total{name="quantiles"}')
            ),
            None,
        )
        return float(line.split()[-1]) if line else 0.0

    async def burst(
        self,
        service: ServiceProcess,
        settings: Settings,
        project: int,
        windows: list[dict[str, str]],
    ) -> list[int]:
        async with httpx.AsyncClient(
            base_url=service.url, headers=bearer(settings, [project]), timeout=30
        ) as http:
            responses = await asyncio.gather(
                *(http.get(f"/v1/projects/{project}/summary", params=w) for w in windows)
            )
        return [r.json()["metrics"]["LCP"]["current"]["count"] for r in responses]

    async def test_identical_misses_share_one_query(
        self, served: ServiceProcess, seed: Seeder, query_settings: Settings
    ) -> None:
        """Twenty concurrent identical requests on a cold cache send one statement to the database."""
        project = await seed_lcp(seed, "shop", [1000.0, 2000.0])
        before = self.served_statements(served)
        assert await self.burst(served, query_settings, project, [CLOSED] * 20) == [2] * 20
        assert self.served_statements(served) - before == SUMMARY_STATEMENTS

    async def test_different_queries_do_not_share(
        self, served: ServiceProcess, seed: Seeder, query_settings: Settings
    ) -> None:
        """Concurrent requests that differ (another window) each run their own statement."""
        project = await seed_lcp(seed, "shop", [1000.0])
        windows = [
            {"from": f"2025-03-0{day}T00:00:00Z", "to": "2025-03-09T00:00:00Z"} for day in (1, 2, 3)
        ]
        before = self.served_statements(served)
        assert await self.burst(served, query_settings, project, windows) == [1, 1, 1]
        assert self.served_statements(served) - before == 3 * SUMMARY_STATEMENTS

    async def test_waiters_share_the_result_and_survive_a_cancelled_one(self) -> None:
        """Work runs once for concurrent callers, and one caller giving up does not cancel it for the rest."""
        flights: SingleFlight[int] = SingleFlight()
        calls = 0

        async def work() -> int:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0.05)
            return 42

        tasks = [asyncio.create_task(flights.run("k", work)) for _ in range(5)]
        await asyncio.sleep(0.01)
        tasks[0].cancel()
        results = await asyncio.gather(*tasks[1:])
        assert (calls, results, len(flights)) == (1, [42] * 4, 0)


class TestCacheOutage:
    @pytest.fixture
    async def outage_client(
        self, query_settings: Settings, private_redis: RedisServer
    ) -> AsyncIterator[AsyncTestClient]:
        """An app whose cache is a Redis the test may stop."""
        settings = Settings(
            database_url=query_settings.database_url, redis_url=query_settings.redis_url,
            cache_redis_url=private_redis.url, jwt_secret=query_settings.jwt_secret,
        )  # fmt: skip
        async with AsyncTestClient(create_app(settings)) as test_client:
            yield test_client

    async def test_cache_down_answers_from_the_database(
        self,
        outage_client: AsyncTestClient,
        private_redis: RedisServer,
        seed: Seeder,
        query_settings: Settings,
    ) -> None:
        """With the cache Redis stopped, views answer 200 from the database."""
        project = await seed_lcp(seed, "shop", [1000.0, 1500.0])
        assert await lcp_count(outage_client, query_settings, project) == 2
        private_redis.stop()
        assert await lcp_count(outage_client, query_settings, project) == 2
        assert await lcp_count(outage_client, query_settings, project, range="7d") == 0

    async def test_hung_cache_costs_a_bounded_wait(
        self,
        outage_client: AsyncTestClient,
        private_redis: RedisServer,
        seed: Seeder,
        query_settings: Settings,
    ) -> None:
        """A cache Redis that accepts connections but never answers delays a request by a fraction of a second, not a hang."""
        project = await seed_lcp(seed, "shop", [1000.0])
        assert private_redis.process is not None
        private_redis.process.send_signal(signal.SIGSTOP)
        try:
            started = time.monotonic()
            assert await lcp_count(outage_client, query_settings, project) == 1
            assert time.monotonic() - started < 2.0
        finally:
            private_redis.process.send_signal(signal.SIGCONT)


class TestLateData:
    """Page views accepted late (ingest takes them up to 48 h old) reach cached answers."""

    @pytest.fixture
    async def store(
        self, query_settings: Settings, db: asyncpg.Connection
    ) -> AsyncIterator[Callable[..., Awaitable[None]]]:
        """Stores beacons through the real worker job, with the query's cache Redis configured."""
        runtime.install(query_settings)

        async def send(project: int, time_origin: datetime, *reports: Any) -> None:
            b = factories.beacon(*reports, time_origin=time_origin.timestamp() * 1000)
            body = factories.payload(factories.batch(factories.accepted(project, b)))
            summary = await asyncio.to_thread(jobs.beacons_received, body)
            assert summary["stored"] + summary["replaced"] == len(reports), summary

        yield send
        await asyncio.to_thread(runtime.current().close)

    @staticmethod
    def hours_ago(hours: float) -> datetime:
        return datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours)

    def window(self, start_h: float, end_h: float) -> dict[str, str]:
        return {
            "from": self.hours_ago(start_h).isoformat(),
            "to": self.hours_ago(end_h).isoformat(),
        }

    async def test_late_page_view_is_counted_and_other_windows_stay_cached(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings, store: Any
    ) -> None:
        """A window that ended ~3 h ago counts a page view stored after it was cached, while a window the late data misses is still a cache hit."""
        project = await seed.project("shop")
        past, untouched = self.window(4, 3), self.window(30, 28)
        await store(project, self.hours_ago(3.5), factories.report("LCP", 1800))
        await store(project, self.hours_ago(29), factories.report("LCP", 2000))
        assert await lcp_count(client, query_settings, project, **past) == 1
        assert await lcp_count(client, query_settings, project, **untouched) == 1
        await store(project, self.hours_ago(3.5), factories.report("LCP", 2500))
        before = statements()
        assert await lcp_count(client, query_settings, project, **untouched) == 1
        assert statements() == before  # served from the cache
        assert await lcp_count(client, query_settings, project, **past) == 2

    async def test_late_cls_re_report_changes_a_cached_p75(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings, store: Any
    ) -> None:
        """A CLS re-sent later with the same id and a larger value replaces the cached p75."""
        project = await seed.project("shop")
        started = self.hours_ago(3.5)

        async def cls_p75() -> float:
            response = await client.get(
                f"/v1/projects/{project}/summary",
                params=self.window(4, 3),
                headers=bearer(query_settings, [project]),
            )
            assert response.status_code == 200, response.text
            value: float = response.json()["metrics"]["CLS"]["current"]["p75"]
            return value

        await store(project, started, factories.report("CLS", 0.05, metric_id="v6-cls-1"))
        assert await cls_p75() == pytest.approx(0.05, rel=0.02)
        await store(project, started, factories.report("CLS", 0.3, metric_id="v6-cls-1"))
        assert await cls_p75() == pytest.approx(0.3, rel=0.02)

    async def test_final_window_keeps_the_long_ttl(
        self,
        client: AsyncTestClient,
        seed: Seeder,
        cache: redis.asyncio.Redis,
        query_settings: Settings,
    ) -> None:
        """A window beyond ingest's acceptance window is final: no versions in its key, cached for an hour."""
        project = await seed.project("shop")
        await lcp_count(client, query_settings, project, **self.window(80, 78))
        await lcp_count(client, query_settings, project, **self.window(5, 3))
        entries = await cache.keys("vitals:query:*")
        ttls = sorted([await cache.ttl(key) for key in entries])
        assert 0 < ttls[0] <= VERSIONED_TTL_S < ttls[1] <= CLOSED_TTL_S
        assert await cache.keys("vitals:data:*")  # the open window read (and created) versions
