"""TimescaleDB's background jobs on our database: which keep failing or have fallen behind.

On the Timescale edition the database runs its own retention and compression policies
(and any action added with `add_job`). When one fails, the only traces are the server log
and `timescaledb_information.job_stats`, and TimescaleDB quietly backs its schedule off (up
to 5× the interval). The worker's health server reads them at every scrape and /ready:
/metrics carries each job's figures for alerting, /ready names a job that is failing or
behind (see health.py for why that is `degraded`, not 503). The Apache edition runs no
such jobs (the workers run `drop_chunks` themselves), so there the list is empty.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import msgspec
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector

from services.contracts.database import Connection

# Three in a row: one failure can be a lock timeout or a restart, three (minutes apart
# under TimescaleDB's backoff) are a pattern.
FAILING_AFTER = 3
# A job that has not succeeded for this many of its intervals is not running at all (no
# free background worker, the scheduler stopped): no failure is ever counted then.
BEHIND_AFTER_INTERVALS = 3

# TimescaleDB numbers its own housekeeping jobs below 1000 (telemetry, the job-history
# retention) and every policy and add_job() from 1000 (its sql/pre_install/tables.sql).
# Only the latter touch our data; and on the Apache build job 3 fails on every run by
# design ("not supported under the current apache license"), which is nothing to report.
# `consecutive_failures` is in no view: the catalog table behind job_stats holds it (the
# same from 2.19 to 2.29, readable by everyone). -infinity means "not set" to TimescaleDB:
# a last success that never was, and the next start of a job while it runs (PostgreSQL 15
# cannot subtract it: "cannot subtract infinite timestamps").
JOBS = """
SELECT j.job_id, j.proc_schema || '.' || j.proc_name AS proc,
       coalesce(j.hypertable_name, '') AS hypertable, j.scheduled,
       extract(epoch FROM j.schedule_interval)::float8 AS interval_s,
       coalesce(s.total_failures, 0) AS total_failures,
       coalesce(c.consecutive_failures, 0) AS consecutive_failures,
       extract(epoch FROM now() - CASE WHEN isfinite(s.last_successful_finish)
           THEN s.last_successful_finish END)::float8 AS since_success_s,
       extract(epoch FROM now() - CASE WHEN isfinite(s.next_start)
           THEN s.next_start END)::float8 AS past_due_s
FROM timescaledb_information.jobs j
LEFT JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
LEFT JOIN _timescaledb_internal.bgw_job_stat c ON c.job_id = j.job_id
WHERE j.job_id >= 1000
ORDER BY j.job_id
"""
# TimescaleDB runs one scheduler per database. It can stop and stay stopped (seen here: it
# died on a deadlock with a migration that dropped policies), and then no job runs, so
# none fails and none is past due by much until its intervals go by. Any role may read a
# background worker's backend_type.
SCHEDULER_RUNNING = """
SELECT EXISTS (SELECT FROM pg_stat_activity WHERE datname = current_database()
               AND backend_type = 'TimescaleDB Background Worker Scheduler')
"""
SCHEDULER_STOPPED = "TimescaleDB's job scheduler is not running for this database: no job runs"


class JobHealth(msgspec.Struct, frozen=True):
    job_id: int
    proc: str  # schema.procedure, e.g. _timescaledb_functions.policy_retention
    hypertable: str  # '' for an action on no hypertable
    scheduled: bool  # false: paused by an operator
    interval_s: float
    total_failures: int
    consecutive_failures: int
    since_success_s: float | None  # None: it never succeeded
    past_due_s: float | None  # how long ago its next run was due (< 0: not yet; None: never ran)

    def trouble(self) -> str | None:
        """Why /ready names this job, or None while it is fine (or paused on purpose)."""
        if not self.scheduled:
            return None
        if self.consecutive_failures >= FAILING_AFTER:
            return f"{self.consecutive_failures} failures in a row"
        # Never succeeded: count from when its first run was due instead.
        waiting_s = self.past_due_s if self.since_success_s is None else self.since_success_s
        if waiting_s is not None and waiting_s > BEHIND_AFTER_INTERVALS * self.interval_s:
            return f"no success for {waiting_s / self.interval_s:.1f} of its intervals"
        return None

    def describe(self) -> str:
        target = f" on {self.hypertable}" if self.hypertable else ""
        return f"job {self.job_id} ({self.proc}{target})"


class JobsReport(msgspec.Struct, frozen=True):
    jobs: list[JobHealth]
    scheduler_running: bool

    def troubles(self) -> list[str]:
        """What /ready names: a stopped scheduler while jobs are due, and each troubled job."""
        stopped = not self.scheduler_running and any(job.scheduled for job in self.jobs)
        named = [f"{job.describe()}: {why}" for job in self.jobs if (why := job.trouble())]
        return ([SCHEDULER_STOPPED] if stopped else []) + named


async def read_jobs(connection: Connection) -> list[JobHealth]:
    rows = await connection.fetch(JOBS)
    return [JobHealth(**dict(row)) for row in rows]


async def read_report(connection: Connection) -> JobsReport:
    running: bool = await connection.fetchval(SCHEDULER_RUNNING)
    return JobsReport(await read_jobs(connection), running)


class JobsCollector(Collector):
    """Serves the figures of the last read (`latest`); /metrics reads just before it renders.

    A collector rather than Gauges: the counts are the database's, and a deleted job's
    series disappear with it instead of lingering at their last value.
    """

    def __init__(self) -> None:
        self.latest: JobsReport | None = None

    def collect(self) -> Iterator[Metric]:
        labels = ["job", "proc", "hypertable"]
        failures = CounterMetricFamily(
            "vitals_timescaledb_job_failures", "Failed runs TimescaleDB counted for the job.",
            labels=labels,
        )  # fmt: skip
        in_a_row = GaugeMetricFamily(
            "vitals_timescaledb_job_consecutive_failures",
            "Failed runs since the job's last success.", labels=labels,
        )  # fmt: skip
        age = GaugeMetricFamily(
            "vitals_timescaledb_job_last_success_age_seconds",
            "Seconds since the job last succeeded (NaN: never).", labels=labels,
        )  # fmt: skip
        failing = GaugeMetricFamily(
            "vitals_timescaledb_job_failing",
            f"1 while /ready names the job: {FAILING_AFTER} failures in a row, or no success"
            f" for {BEHIND_AFTER_INTERVALS} of its intervals.", labels=labels,
        )  # fmt: skip
        scheduler = GaugeMetricFamily(
            "vitals_timescaledb_scheduler_running",
            "1 while TimescaleDB's job scheduler runs for the database.",
        )
        if self.latest is None:  # not read yet, or the database did not answer
            return
        scheduler.add_metric([], int(self.latest.scheduler_running))
        for job in self.latest.jobs:
            values = [str(job.job_id), job.proc, job.hypertable]
            failures.add_metric(values, job.total_failures)
            in_a_row.add_metric(values, job.consecutive_failures)
            since = job.since_success_s
            age.add_metric(values, math.nan if since is None else since)
            failing.add_metric(values, 0 if job.trouble() is None else 1)
        yield from (scheduler, failures, in_a_row, age, failing)


COLLECTOR = JobsCollector()
REGISTRY.register(COLLECTOR)
