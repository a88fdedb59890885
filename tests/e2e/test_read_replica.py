"""The query service on a streaming replica: it answers from the standby what a query
service on the primary answers, never trips over the standby being read-only, and says
not-ready on /ready while the standby's replay is too far behind.

A private primary (tests/support/postgres.py) and its hot standby (tests/support/standby.py)
on this machine; ingest and a worker write to the primary through the real queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec
import pytest
from argon2 import PasswordHasher

from services.cli import catalog
from services.contracts.settings import Settings
from services.query.cache import OPEN_TTL_S, VERSIONED_TTL_S
from services.query.filters import PUBLIC_DIMENSIONS
from tests.e2e.replica import (
    Views,
    cache_ttls,
    client_of,
    commit_to_standby,
    p95,
    query_service,
    query_sessions,
    ready,
    replica_dsn,
)
from tests.e2e.stack import Stack, drain, eventually, open_project, scrape
from tests.e2e.traffic import Traffic
from tests.support.ops import OPS_HEADERS
from tests.support.postgres import PostgresServer
from tests.support.processes import ServiceProcess
from tests.support.standby import StandbyServer

DATABASE = "vitals"
PAGE_VIEWS = 60
# Short, so a paused replay crosses it within seconds; well above the recheck pause.
MAX_LAG_S = 2.0
LAG_TRIALS = 40
REPLICA_CACHE_DB, PRIMARY_CACHE_DB = 1, 2  # the workers' data versions are in db 0
RECEIVING = ("vitals_query_replica_receiving", ())


@pytest.fixture
async def standby(private_postgres: PostgresServer) -> AsyncIterator[StandbyServer]:
    server = StandbyServer(private_postgres).init().start()
    try:
        await server.wait_streaming()
        yield server
    finally:
        server.cleanup()


@pytest.fixture
async def primary_settings(
    stack_settings: Settings, private_postgres: PostgresServer, standby: StandbyServer
) -> Settings:
    """The stack on the private primary, migrated (the standby replays the migrations)."""
    url = await private_postgres.create_migrated_database(DATABASE)
    return msgspec.structs.replace(
        stack_settings, database_url=url, query_max_replica_lag_s=MAX_LAG_S
    )


@pytest.fixture
async def written(primary_settings: Settings) -> AsyncIterator[tuple[Stack, Traffic, int]]:
    """Ingest and a worker running on the primary, a project, and its first page views stored."""
    db = await asyncpg.connect(primary_settings.database_url)
    stack = Stack(primary_settings)
    traffic: Traffic | None = None
    try:
        project_id, key = await open_project(db, primary_settings, "shop")
        stack.start("only")
        traffic = Traffic(stack.ingest.url, {project_id: key}, seed=16)
        await traffic.page_views(PAGE_VIEWS, concurrency=4)
        await drain(primary_settings)
        yield stack, traffic, project_id
    finally:
        if traffic is not None:
            await traffic.aclose()
        stack.stop()
        await db.close()


@pytest.fixture
async def on_replica(
    primary_settings: Settings, standby: StandbyServer
) -> AsyncIterator[ServiceProcess]:
    service = query_service("query-replica", primary_settings, cache_db=REPLICA_CACHE_DB,
                            reads=replica_dsn(standby, DATABASE))  # fmt: skip
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
async def on_primary(primary_settings: Settings) -> AsyncIterator[ServiceProcess]:
    service = query_service("query-primary", primary_settings, cache_db=PRIMARY_CACHE_DB)
    try:
        yield service
    finally:
        service.stop()


class TestAnswersFromTheReplica:
    async def test_the_replica_answers_what_the_primary_answers(
        self,
        written: tuple[Stack, Traffic, int],
        standby: StandbyServer,
        primary_settings: Settings,
        on_replica: ServiceProcess,
        on_primary: ServiceProcess,
    ) -> None:
        """Once the standby has replayed the workers' commits, every view from the query service on the standby equals the one from a query service on the primary, and the standby serves the replica's sessions."""
        _, _, project_id = written
        await standby.wait_replayed()
        views = Views(primary_settings, project_id)

        from_replica = await views.answers(on_replica)
        from_primary = await views.answers(on_primary)

        assert from_replica["summary"]["metrics"]["LCP"]["current"]["count"] >= PAGE_VIEWS / 2
        assert from_replica == from_primary
        assert await query_sessions(standby.url(DATABASE)) >= 1
        assert ready(on_replica).json() == {
            "status": "ready",
            "checked": ["database", "cache_redis", "replica_lag"],
        }

    async def test_answers_that_can_still_change_are_cached_briefly_on_a_replica(
        self,
        written: tuple[Stack, Traffic, int],
        standby: StandbyServer,
        primary_settings: Settings,
        on_replica: ServiceProcess,
        on_primary: ServiceProcess,
    ) -> None:
        """A window that ended an hour ago can still get late reports: on the primary its answer is cached for VERSIONED_TTL_S (a worker's version bump invalidates it), on the replica only OPEN_TTL_S, since a bump may come before the replica replays the commit."""
        _, _, project_id = written
        await standby.wait_replayed()
        now = datetime.now(UTC)
        views = Views(primary_settings, project_id, end=now - timedelta(hours=1))
        for service in (on_replica, on_primary):
            async with client_of(service) as client:
                _, path, params, _ = views.requests()["summary"]
                cached = {"Authorization": views.headers["Authorization"]}
                assert (await client.get(path, params=params, headers=cached)).status_code == 200

        assert 0 < max(cache_ttls(primary_settings, REPLICA_CACHE_DB)) <= OPEN_TTL_S
        assert OPEN_TTL_S < max(cache_ttls(primary_settings, PRIMARY_CACHE_DB)) <= VERSIONED_TTL_S

    async def test_nothing_the_service_does_needs_a_writable_database(
        self,
        written: tuple[Stack, Traffic, int],
        standby: StandbyServer,
        primary_settings: Settings,
        on_replica: ServiceProcess,
    ) -> None:
        """On the standby, login, every view (each breakdown dimension too), cached and fresh, /ready and /metrics answer 200: nothing the query service does writes."""
        _, _, project_id = written
        db = await asyncpg.connect(primary_settings.database_url)
        try:
            password = "a long enough password"
            await catalog.upsert_user(db, "ann@example.com", PasswordHasher().hash(password),
                                      [project_id])  # fmt: skip
        finally:
            await db.close()
        await standby.wait_replayed()
        views = Views(primary_settings, project_id)
        async with client_of(on_replica) as client:
            login = await client.post(
                "/v1/auth/token", json={"email": "ann@example.com", "password": password}
            )
            assert login.status_code == 200, login.text
            token = {"Authorization": f"Bearer {login.json()['token']}"}
            for method, path, params, body in views.requests().values():
                for headers in (token, {**token, "Cache-Control": "no-cache"}, token):
                    response = await client.request(
                        method, path, params=params, json=body, headers=headers
                    )
                    assert response.status_code == 200, f"{path}: {response.text}"
            for dimension in PUBLIC_DIMENSIONS:
                response = await client.get(
                    f"/v1/projects/{project_id}/breakdown",
                    params={"metric": "INP", "dimension": dimension, **views.window},
                    headers=token,
                )
                assert response.status_code == 200, f"{dimension}: {response.text}"
            metrics = await client.get("/metrics", headers=OPS_HEADERS)
            assert metrics.status_code == 200
            assert "vitals_query_replica_lag_seconds 0.0" in metrics.text
        assert ready(on_replica).status_code == 200
        assert "read-only transaction" not in on_replica.log_path.read_text()


class TestReplicaLag:
    async def test_ready_is_503_with_the_lag_while_replay_is_paused(
        self,
        written: tuple[Stack, Traffic, int],
        standby: StandbyServer,
        primary_settings: Settings,
        on_replica: ServiceProcess,
        on_primary: ServiceProcess,
    ) -> None:
        """Replay paused while the workers keep writing: /ready answers 503 naming replica_lag and the lag in seconds (the status alone without the ops token), the replica's answers fall behind the primary's; resumed, /ready is 200 and the answers agree again."""
        _, traffic, project_id = written
        views = Views(primary_settings, project_id)
        await standby.wait_replayed()
        assert ready(on_replica).status_code == 200

        await standby.pause_replay()
        await traffic.page_views(10, concurrency=2)
        await drain(primary_settings)

        async def lagging() -> bool:
            return ready(on_replica).status_code == 503

        await eventually(lagging, 30, "/ready to report the replica's lag")
        body = ready(on_replica).json()
        assert body.keys() == {"status", "failing", "reason", "lag_s", "max_lag_s"}
        assert (body["status"], body["failing"], body["max_lag_s"]) == (
            "unavailable", "replica_lag", MAX_LAG_S,
        )  # fmt: skip
        assert body["lag_s"] > MAX_LAG_S
        assert f"{body['lag_s']:.1f} s behind its primary" in body["reason"]
        assert ready(on_replica, ops=False).json() == {"status": "unavailable"}
        assert ready(on_primary).status_code == 200  # a primary has no replay to lag
        assert await views.summary_count(on_replica) < await views.summary_count(on_primary)

        await standby.resume_replay()

        async def caught_up() -> bool:
            return ready(on_replica).status_code == 200

        await eventually(caught_up, 30, "/ready to recover once replay resumes")
        assert await views.answers(on_replica) == await views.answers(on_primary)

    async def test_a_replica_keeps_up_with_the_workers_under_load(
        self,
        written: tuple[Stack, Traffic, int],
        standby: StandbyServer,
        primary_settings: Settings,
        on_replica: ServiceProcess,
    ) -> None:
        """With page views flowing, a report the worker commits on the primary shows on the standby within a fraction of the readiness limit (median and p95 printed for the README), and /ready stays 200 throughout."""
        _, traffic, project_id = written
        background = asyncio.Event()
        load = asyncio.create_task(traffic.until(background, concurrency=2, pause_s=0.02))
        try:
            visibility = await commit_to_standby(
                traffic, project_id, primary_settings.database_url,
                replica_dsn(standby, DATABASE), LAG_TRIALS,
            )  # fmt: skip
            assert ready(on_replica).status_code == 200
        finally:
            background.set()
            await load
        print("\n" + visibility.describe())
        assert p95(visibility.lags_s) < MAX_LAG_S  # well inside even this short limit


class TestPrimaryOutage:
    async def test_a_replica_without_its_primary_answers_on_and_metrics_say_so(
        self,
        written: tuple[Stack, Traffic, int],
        standby: StandbyServer,
        private_postgres: PostgresServer,
        primary_settings: Settings,
        on_replica: ServiceProcess,
    ) -> None:
        """The primary stopped: the query service on the standby stays ready and answers every view as before (nothing new can be missing), while /metrics' vitals_query_replica_receiving turns from 1 to 0 for an alert."""
        _, _, project_id = written
        await standby.wait_replayed()
        views = Views(primary_settings, project_id)
        before = await views.answers(on_replica)
        assert scrape(on_replica)[RECEIVING] == 1.0

        private_postgres.stop()

        async def cut_off() -> bool:
            return scrape(on_replica)[RECEIVING] == 0.0

        await eventually(cut_off, 30, "the standby's WAL receiver to lose its primary")
        assert ready(on_replica).status_code == 200
        assert await views.answers(on_replica) == before
