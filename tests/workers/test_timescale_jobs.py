"""TimescaleDB's background jobs in the worker's /ready (degraded, naming the job) and /metrics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from services.contracts.settings import Settings
from services.workers.health import create_health_app
from services.workers.timescale_jobs import (
    FAILING_AFTER,
    SCHEDULER_STOPPED,
    JobHealth,
    JobsReport,
    read_jobs,
)
from tests.support.ops import OPS_HEADERS

# The scheduler retries a failed 1-second job within 5 s (5 intervals at most), but on a
# busy shared cluster it waits for a free background worker first.
FAILURES_TIMEOUT_S = 120
FAILING_ACTION = """
CREATE OR REPLACE PROCEDURE failing_action(job_id int, config jsonb) LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'this action always fails';
END $$
"""


def job(**changes: Any) -> JobHealth:
    """A scheduled daily job that succeeded an hour ago, with `changes`."""
    fields: dict[str, Any] = {
        "job_id": 1000, "proc": "_timescaledb_functions.policy_retention", "hypertable": "vitals",
        "scheduled": True, "interval_s": 86_400.0, "total_failures": 0,
        "consecutive_failures": 0, "since_success_s": 3_600.0, "past_due_s": -82_800.0,
    }  # fmt: skip
    return JobHealth(**(fields | changes))


def samples(text: str, name: str) -> dict[str, float]:
    """The metric's values by job id."""
    return {
        sample.labels["job"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


@pytest.fixture
async def health(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    """The worker's health app (its own pool and Redis client) on the test database."""
    async with AsyncTestClient(create_health_app(settings)) as client:
        yield client


class TestJobTrouble:
    def test_a_job_that_succeeds_on_time_is_fine(self) -> None:
        """A job that succeeded within its interval is not named."""
        assert job().trouble() is None

    def test_failures_in_a_row_make_it_failing(self) -> None:
        """FAILING_AFTER failures in a row name the job; one fewer does not."""
        assert job(consecutive_failures=FAILING_AFTER - 1).trouble() is None
        assert job(consecutive_failures=FAILING_AFTER).trouble() == (
            f"{FAILING_AFTER} failures in a row"
        )

    def test_no_success_for_three_intervals_makes_it_behind(self) -> None:
        """A job whose last success is more than three intervals old is named, with no failure counted."""
        assert job(since_success_s=3 * 86_400.0).trouble() is None
        assert job(since_success_s=4 * 86_400.0).trouble() == "no success for 4.0 of its intervals"

    def test_a_job_that_never_ran_is_behind_once_long_past_due(self) -> None:
        """A job that never succeeded counts from when its run was due: never run, 4 intervals late."""
        assert job(since_success_s=None, past_due_s=60.0).trouble() is None
        assert job(since_success_s=None, past_due_s=4 * 86_400.0).trouble() is not None

    def test_a_paused_job_is_not_named(self) -> None:
        """An operator's pause is not trouble, however stale the job."""
        assert job(scheduled=False, consecutive_failures=9, since_success_s=None).trouble() is None


class TestJobsReport:
    def test_a_stopped_scheduler_is_named_first_while_jobs_are_due(self) -> None:
        """With the scheduler stopped and a job scheduled, /ready names the scheduler before any job."""
        report = JobsReport([job(consecutive_failures=FAILING_AFTER)], scheduler_running=False)
        assert report.troubles() == [
            SCHEDULER_STOPPED,
            f"job 1000 (_timescaledb_functions.policy_retention on vitals): {FAILING_AFTER}"
            " failures in a row",
        ]

    def test_a_stopped_scheduler_with_nothing_due_is_fine(self) -> None:
        """No jobs, or only paused ones, need no scheduler."""
        assert JobsReport([], scheduler_running=False).troubles() == []
        assert JobsReport([job(scheduled=False)], scheduler_running=False).troubles() == []


@pytest.mark.apache_edition
class TestApacheEdition:
    async def test_no_jobs_listed_and_ready(
        self, db: asyncpg.Connection, health: AsyncTestClient[Any]
    ) -> None:
        """TimescaleDB's own jobs (id < 1000: job 3 fails by design under the Apache license) are left out: nothing listed, /ready says ready, /metrics has no job series."""
        own = await db.fetchval("SELECT count(*) FROM timescaledb_information.jobs")
        assert own > 0  # the extension's housekeeping jobs exist, and are left out
        assert await read_jobs(db) == []
        ready = await health.get("/ready", headers=OPS_HEADERS)
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"
        assert "timescaledb_jobs" in ready.json()["checked"]
        metrics = (await health.get("/metrics", headers=OPS_HEADERS)).text
        assert "# TYPE vitals_timescaledb_job_failing gauge" in metrics
        assert samples(metrics, "vitals_timescaledb_job_failing") == {}


@pytest.fixture
async def failing_job(
    settings: Settings, database_edition: str, db: asyncpg.Connection
) -> AsyncIterator[int]:
    """A user-defined action that raises, run every second by TimescaleDB's scheduler."""
    if database_edition != "timescale":
        pytest.skip(
            "needs TimescaleDB's job scheduler on the Timescale edition (VITALS_EDITION=timescale"
            " make test): the Apache edition has no add_job, PGlite runs no scheduler"
        )
    await db.execute(FAILING_ACTION)
    job_id: int = await db.fetchval(
        "SELECT add_job('failing_action', INTERVAL '1 second', initial_start => now())"
    )
    # The scheduler of a freshly created database may not have started (or have stopped).
    await db.execute("SELECT _timescaledb_functions.start_background_workers()")
    try:
        yield job_id
    finally:
        await db.execute("SELECT delete_job($1)", job_id)


@pytest.fixture
async def stopped_scheduler(database_edition: str, db: asyncpg.Connection) -> AsyncIterator[None]:
    """TimescaleDB's scheduler for the test database, stopped (the launcher stops only ours)."""
    if database_edition != "timescale":
        pytest.skip(
            "stops TimescaleDB's scheduler under the edition's policies, which only the"
            " Timescale edition has (VITALS_EDITION=timescale make test)"
        )
    await db.execute("SELECT _timescaledb_functions.stop_background_workers()")
    try:
        yield
    finally:
        await db.execute("SELECT _timescaledb_functions.start_background_workers()")


async def wait_for_failures(db: asyncpg.Connection, job_id: int, failures: int) -> None:
    deadline = time.monotonic() + FAILURES_TIMEOUT_S
    while time.monotonic() < deadline:
        counted = await db.fetchval(
            "SELECT consecutive_failures FROM _timescaledb_internal.bgw_job_stat WHERE job_id = $1",
            job_id,
        )
        if counted is not None and counted >= failures:
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"job {job_id}: fewer than {failures} failures in {FAILURES_TIMEOUT_S} s")


class TestTimescaleEdition:
    async def test_a_failing_job_degrades_ready_and_shows_in_metrics(
        self, db: asyncpg.Connection, failing_job: int, health: AsyncTestClient[Any]
    ) -> None:
        """An action failing FAILING_AFTER times in a row leaves /ready 200 but degraded, naming it (details to the ops token only), and /metrics counts its failures and flags it."""
        await wait_for_failures(db, failing_job, FAILING_AFTER)
        public = await health.get("/ready")
        assert public.status_code == 200
        assert public.json() == {"status": "degraded"}
        ready = (await health.get("/ready", headers=OPS_HEADERS)).json()
        why = ready["degraded"]["timescaledb_jobs"]
        assert f"job {failing_job} (public.failing_action)" in why["reason"]
        assert failing_job in why["jobs"]
        metrics = (await health.get("/metrics", headers=OPS_HEADERS)).text
        job = str(failing_job)
        assert samples(metrics, "vitals_timescaledb_job_failing")[job] == 1
        assert samples(metrics, "vitals_timescaledb_job_failures_total")[job] >= FAILING_AFTER
        assert samples(metrics, "vitals_timescaledb_job_consecutive_failures")[job] >= FAILING_AFTER

    async def test_a_stopped_scheduler_degrades_ready(
        self, stopped_scheduler: None, health: AsyncTestClient[Any]
    ) -> None:
        """With the edition's policies scheduled but no scheduler running, /ready is degraded and says so, and /metrics shows it stopped."""
        deadline = time.monotonic() + 10  # the scheduler exits just after the launcher's ack
        while True:
            ready = (await health.get("/ready", headers=OPS_HEADERS)).json()
            reason = ready.get("degraded", {}).get("timescaledb_jobs", {}).get("reason", "")
            if reason.startswith(SCHEDULER_STOPPED) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        assert ready["status"] == "degraded"
        assert reason.startswith(SCHEDULER_STOPPED), ready
        metrics = (await health.get("/metrics", headers=OPS_HEADERS)).text
        assert "vitals_timescaledb_scheduler_running 0.0" in metrics
