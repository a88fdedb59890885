"""How far behind the standby is: /ready says not-ready past the limit and ready again
once replay catches up, a healthy standby stays milliseconds behind under load, and one
that has lost its primary answers on while /metrics says so."""

from __future__ import annotations

import asyncio

from services.contracts.settings import Settings
from tests.e2e.replica.conftest import DATABASE, MAX_LAG_S
from tests.e2e.replica.views import Views, ready, replica_dsn
from tests.e2e.replica.visibility import commit_to_standby, p95
from tests.e2e.stack import Stack, drain, eventually, scrape
from tests.e2e.traffic import Traffic
from tests.support.postgres import PostgresServer
from tests.support.processes import ServiceProcess
from tests.support.standby import StandbyServer

LAG_TRIALS = 40
RECEIVING = ("vitals_query_replica_receiving", ())


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
