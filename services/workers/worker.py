"""The RQ worker class: SimpleWorker (no fork per job) with a renewed lease on each job.

What RQ 3.0 does with a job whose worker dies (SIGKILL, OOM, power loss) mid-job: the
job stays STARTED, its execution stays in the StartedJobRegistry with a score of "start +
heartbeat TTL", and nothing happens until some worker's maintenance
(`clean_registries`, every `maintenance_interval`) finds the score in the past. Then
`StartedJobRegistry.cleanup` treats it as abandoned: it calls the exception handlers with
`AbandonedJobError` and, if the job has retries left, `job.retry()` schedules it after
the next `Retry` interval (the scheduler enqueues it); otherwise it goes to the failed
registry. The database side is safe by construction: the killed connection's
transaction rolls back, and a batch that did commit is a no-op when it runs again.

Stock SimpleWorker makes that slow: the heartbeat TTL is the job timeout + 60 s (4 min by
default) and is never renewed while the job runs (only the forking Worker's monitor
loop renews it), maintenance runs every 10 min and an idle worker blocks in BLMOVE for
`worker_ttl - 15` = 405 s between checks. This class instead:

- registers each job with a short lease (LEASE_S) and renews it from a thread while the
  job function runs, so a long job is never mistaken for an abandoned one and a dead
  worker's job is abandoned within LEASE_S;
- runs maintenance every MAINTENANCE_INTERVAL_S, and wakes an idle worker as often;
  maintenance also enqueues the hourly retention job (retention.py) and the alert jobs
  (alerts/schedule.py).

- puts a dead worker's job back at the front of the queue, retries intact
  (recovery.py), so it re-runs about LEASE_S + MAINTENANCE_INTERVAL_S after the death on
  any surviving (or restarted) worker;
- runs jobs as PatientJob (waiting.py): an outage is waited out holding the job, and a
  stop request during the wait re-queues it;
- rides out a Redis that is gone or refuses writes (at maxmemory): it waits, probing with
  a write, instead of exiting as stock RQ does.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

import redis
import structlog
from rq import SimpleWorker
from rq.executions import Execution
from rq.job import Job
from rq.queue import Queue
from rq.utils import as_text
from rq.utils import now as utcnow
from rq.worker import WorkerStatus

from services.workers import retention, runtime
from services.workers.alerts import schedule as alert_schedule
from services.workers.failures import count_terminal_failure
from services.workers.outages import BOARD, QUEUE_REDIS, is_redis_outage
from services.workers.recovery import recover_interrupted
from services.workers.waiting import STOP, Backoff, PatientJob, StoppedWhileWaiting

REDIS_RETRY_FIRST_S = 0.5
REDIS_RETRY_MAX_S = 5.0
# Written to probe Redis: under maxmemory PING still answers, a write does not.
PROBE_KEY = "vitals:workers:probe"
LEASE_S = 15
RENEW_EVERY_S = 5  # three renewals per lease: one slow Redis round trip is not fatal
MAINTENANCE_INTERVAL_S = 10
# An idle worker blocks in BLMOVE for worker_ttl - 15 s: 25 makes it look up every 10 s.
WORKER_TTL_S = 25

log = structlog.get_logger()


class LeaseKeeper:
    """Renews a running job's lease (worker, execution and job heartbeats) until stopped."""

    def __init__(self, worker: VitalsWorker, job: Job, execution: Execution) -> None:
        self.worker = worker
        self.job = job
        self.execution = execution
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="lease", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()

    def _renew(self) -> None:
        while not self._stopped.wait(self.worker.job_monitoring_interval):
            try:
                self.worker.maintain_heartbeats(self.job, self.execution)
            except Exception as exc:  # the next renewal may succeed; the lease has slack
                log.warning("lease_renewal_failed", job_id=self.job.id, error=str(exc))


class VitalsWorker(SimpleWorker):
    def __init__(self, *args: Any, lease_s: int = LEASE_S, **kwargs: Any) -> None:
        kwargs.setdefault("job_monitoring_interval", RENEW_EVERY_S)
        kwargs.setdefault("maintenance_interval", MAINTENANCE_INTERVAL_S)
        kwargs.setdefault("worker_ttl", WORKER_TTL_S)
        # The description holds the whole payload: never log it per job.
        kwargs.setdefault("log_job_description", False)
        kwargs.setdefault("exception_handlers", [count_terminal_failure])
        kwargs.setdefault("job_class", PatientJob)
        super().__init__(*args, **kwargs)
        self.lease_s = lease_s
        self._keeper: LeaseKeeper | None = None

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return self.lease_s

    def execute_job(self, job: Job, queue: Queue) -> None:
        try:
            self._execute_job(job, queue)
        except redis.RedisError as exc:
            # RQ's bookkeeping around the job (registries, heartbeats, results) needs
            # Redis; stock RQ lets this error end the worker. Nothing is lost by carrying
            # on instead: the job's lease lapses, and its re-run changes nothing that
            # committed (the store is idempotent). So wait for Redis and go on working.
            if not is_redis_outage(exc):
                raise
            self._wait_for_redis(exc)

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> tuple[Job, Queue] | None:
        # RQ waits out a Redis that is gone here, but not one refusing writes (OOM).
        while True:
            try:
                return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
            except redis.ResponseError as exc:
                if not is_redis_outage(exc) or self._stop_requested:
                    raise
                self._wait_for_redis(exc)

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        try:
            super().heartbeat(timeout, pipeline)
        except redis.ResponseError as exc:  # refused writes: the next heartbeat may pass
            if not is_redis_outage(exc):
                raise
            BOARD.failed(QUEUE_REDIS, exc)
        else:
            BOARD.recovered(QUEUE_REDIS)

    def request_stop(self, signum: Any, frame: Any) -> None:
        STOP.set()  # ends a job's wait for a dependency (waiting.py)
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]

    def _finalize_failure(
        self,
        job: Job,
        queue: Queue,
        execution: Execution,
        exc_info: tuple[type[BaseException] | None, BaseException | None, TracebackType | None],
    ) -> None:
        if not isinstance(exc_info[1], StoppedWhileWaiting):
            super()._finalize_failure(job, queue, execution, exc_info)
            return
        # Asked to stop while waiting out an outage: not the job's failure. Back to the
        # front of the queue, retries intact, for whichever worker runs next.
        if self._keeper is not None:
            self._keeper.stop()
        with self.connection.pipeline() as pipe:
            self.cleanup_execution(job, pipeline=pipe, execution=execution)
            queue._enqueue_job(job, pipeline=pipe, at_front=True)
            pipe.execute()
        log.info("job_requeued_on_stop", reason=str(exc_info[1]))

    def _execute_job(self, job: Job, queue: Queue) -> None:
        # SimpleWorker.execute_job, plus the lease keeper and the job id in every log line.
        self._forget_dead_executions(job)
        execution = self.prepare_execution(job)
        self._keeper = LeaseKeeper(self, job, execution)
        self._keeper.start()
        try:
            with structlog.contextvars.bound_contextvars(job_id=job.id):
                self.perform_job(job, queue, execution)
        finally:
            self._keeper.stop()
            self._keeper = None
        self.set_state(WorkerStatus.IDLE)

    def _wait_for_redis(self, cause: redis.RedisError) -> None:
        BOARD.failed(QUEUE_REDIS, cause)
        backoff = Backoff(REDIS_RETRY_FIRST_S, REDIS_RETRY_MAX_S)
        while not self._stop_requested:
            try:
                self.connection.set(f"{PROBE_KEY}:{self.name}", 1, ex=60)
            except redis.RedisError as exc:
                if not is_redis_outage(exc):
                    raise
                BOARD.failed(QUEUE_REDIS, exc)
                time.sleep(backoff.next())
            else:
                BOARD.recovered(QUEUE_REDIS)
                return

    def _forget_dead_executions(self, job: Job) -> None:
        """Work around an rq 3.0 bug that makes an abandoned job fail again after its re-run.

        An execution's hash expires with its lease, but its entry in the job's
        ExecutionRegistry lives 60 s longer. When the re-run of an abandoned job finishes
        within that minute and the job has result_ttl=0 (as ingest enqueues it), RQ deletes
        the job, fetches every execution on the way, raises on the dead one and retries the
        job again, until the entry expires. Entries whose hash is gone
        belong to dead workers; removing them first lets the re-run finish normally.
        """
        key = job.execution_registry.key
        members: list[bytes] = self.connection.zrange(key, 0, -1)  # type: ignore[assignment]
        ids = [as_text(i) for i in members]
        if not ids:
            return
        with self.connection.pipeline(transaction=False) as pipe:
            for execution_id in ids:
                pipe.exists(Execution(execution_id, job.id, self.connection).key)
            alive = pipe.execute()
        dead = [i for i, exists in zip(ids, alive, strict=True) if not exists]
        if dead:
            self.connection.zrem(key, *dead)
            log.info("dead_executions_forgotten", job_id=job.id, executions=len(dead))

    def run_maintenance_tasks(self) -> None:
        try:
            recover_interrupted(self.connection, self.queues)
            super().run_maintenance_tasks()  # type: ignore[no-untyped-call]
        except redis.RedisError as exc:  # the next tick tries again
            if not is_redis_outage(exc):
                raise
            BOARD.failed(QUEUE_REDIS, exc)
            self.last_cleaned_at = utcnow()  # type: ignore[assignment]
        try:
            retention.enqueue_if_due(self.connection)
        except redis.RedisError as exc:  # the next tick tries again
            log.warning("retention_enqueue_failed", error=str(exc))
        try:
            every_s = runtime.current().settings.alerts_evaluate_every_s
            alert_schedule.enqueue_if_due(self.connection, evaluate_every_s=every_s)
        except redis.RedisError as exc:  # the next tick tries again
            log.warning("alerts_enqueue_failed", error=str(exc))

    def handle_execution_ended(self, job: Job, queue: Queue, heartbeat_ttl: int) -> None:
        # The job function has returned or raised: stop renewing before RQ removes the
        # execution, so a late renewal cannot recreate its keys.
        if self._keeper is not None:
            self._keeper.stop()
        super().handle_execution_ended(job, queue, heartbeat_ttl)
