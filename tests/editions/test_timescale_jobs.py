"""The worker's read of TimescaleDB's jobs on the Timescale-licensed edition (PGlite: 2.23, PG 17).

PGlite runs no background scheduler, so no job ever runs or fails here; a failing job is
tested on the native build (tests/workers/test_timescale_jobs.py). What runs in CI is
that the read works on a later TimescaleDB and lists the edition's own policy jobs.
"""

from __future__ import annotations

import asyncpg
import pytest

from services.workers.timescale_jobs import read_jobs
from tests.support.pglite import PGliteServer

pytestmark = pytest.mark.pglite

FAILING_ACTION = """
CREATE OR REPLACE PROCEDURE failing_action(job_id int, config jsonb) LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'this action always fails';
END $$
"""


# What TimescaleDB's job_stat.c leaves while a job's first run goes on (mark_start):
# started now, next start and last success "not set".
RUNNING_STATS = """
UPDATE _timescaledb_internal.bgw_job_stat
SET last_start = now(), next_start = '-infinity', last_successful_finish = '-infinity'
WHERE job_id = $1
"""


class TestTimescaleJobs:
    async def test_the_editions_policies_are_listed_and_fine(
        self, pglite: PGliteServer, timescale_migrated: list[str]
    ) -> None:
        """The retention and compression policies on raw `vitals` are listed by procedure and hypertable, never run, none named."""
        connection = await pglite.connect()
        try:
            jobs = await read_jobs(connection)
        finally:
            await connection.close()
        listed = {(job.proc, job.hypertable) for job in jobs}
        assert ("_timescaledb_functions.policy_retention", "vitals") in listed
        assert ("_timescaledb_functions.policy_compression", "vitals") in listed
        assert all(job.job_id >= 1000 and job.scheduled for job in jobs)
        assert [job.trouble() for job in jobs] == [None] * len(jobs)

    async def test_a_run_job_failure_is_not_counted(
        self, pglite: PGliteServer, timescale_migrated: list[str]
    ) -> None:
        """`CALL run_job` raises the action's error to its caller but counts no failure: only the scheduler's runs reach job_stats."""
        connection = await pglite.connect()
        try:
            await connection.execute(FAILING_ACTION)
            job_id = await connection.fetchval(
                "SELECT add_job('failing_action', INTERVAL '1 hour', scheduled => false)"
            )
            try:
                with pytest.raises(asyncpg.RaiseError, match="always fails"):
                    await connection.execute(f"CALL run_job({int(job_id)})")
                (listed,) = [job for job in await read_jobs(connection) if job.job_id == job_id]
            finally:
                await connection.execute("SELECT delete_job($1)", job_id)
        finally:
            await connection.close()
        assert listed.proc == "public.failing_action"
        assert listed.hypertable == ""
        assert (listed.total_failures, listed.consecutive_failures) == (0, 0)
        assert listed.trouble() is None  # paused, and nothing counted

    async def test_unset_times_of_a_running_job_are_read_as_unknown(
        self, pglite: PGliteServer, timescale_migrated: list[str]
    ) -> None:
        """A job's stats as TimescaleDB's scheduler leaves them while it runs (next start and last success -infinity, "not set") read as unknown, and the job is not named."""
        connection = await pglite.connect()
        try:
            await connection.execute(FAILING_ACTION)
            # Scheduled: PGlite runs no scheduler, and a due job is what /ready judges.
            job_id = await connection.fetchval(
                "SELECT add_job('failing_action', INTERVAL '1 hour')"
            )
            try:
                assert await connection.execute(RUNNING_STATS, job_id) == "UPDATE 1"
                (listed,) = [job for job in await read_jobs(connection) if job.job_id == job_id]
            finally:
                await connection.execute("SELECT delete_job($1)", job_id)
        finally:
            await connection.close()
        assert (listed.since_success_s, listed.past_due_s) == (None, None)
        assert listed.trouble() is None
