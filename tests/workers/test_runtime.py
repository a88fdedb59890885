"""The worker process's machinery: the per-process loop and the renewed job lease."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from types import FrameType

import pytest
import redis.asyncio
from rq import Queue
from rq.job import JobStatus
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer

from services.contracts.queue import QUEUE_NAME
from services.contracts.redis_client import sync_redis
from services.contracts.settings import Settings
from services.workers.alerts.schedule import KEYS as ALERT_KEYS
from services.workers.retention import DUE_KEY
from services.workers.runtime import Runtime
from services.workers.worker import VitalsWorker


class JobTimeout(Exception):
    """Stands in for RQ's JobTimeoutException, raised the same way: from SIGALRM."""


class TestRuntime:
    def test_interrupted_job_leaves_no_task_behind(self, settings: Settings) -> None:
        """A coroutine interrupted by a timeout signal is cancelled, and the next job runs on the same loop."""
        runtime = Runtime(settings)
        cancelled = []

        async def stuck() -> None:
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                cancelled.append(True)
                raise

        def alarm(signum: int, frame: FrameType | None) -> None:
            raise JobTimeout

        previous = signal.signal(signal.SIGALRM, alarm)
        try:
            signal.setitimer(signal.ITIMER_REAL, 0.2)
            with pytest.raises(JobTimeout):
                runtime.run(stuck())
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

        async def next_job() -> int:
            return 42

        assert cancelled == [True]
        assert runtime.run(next_job()) == 42
        assert asyncio.all_tasks(runtime.loop) == set()
        runtime.close()


class TestLease:
    def test_long_job_keeps_renewing_its_lease(
        self, settings: Settings, redis_client: redis.asyncio.Redis
    ) -> None:
        """A job running twice as long as its lease is never seen as abandoned, because the worker renews the lease while it runs."""
        connection = sync_redis(settings)
        connection.set(DUE_KEY, 1, ex=3600)
        for alert_key in ALERT_KEYS:  # the alert jobs too (alerts/schedule.py)
            connection.set(alert_key, 1, ex=3600)
        job = Queue(QUEUE_NAME, connection=connection, serializer=JSONSerializer).enqueue(
            "time.sleep", 4
        )
        worker = VitalsWorker(
            [QUEUE_NAME],
            connection=connection,
            serializer=JSONSerializer,
            lease_s=2,
            job_monitoring_interval=1,
        )
        seen: dict[str, list[str]] = {}

        def look_after_the_lease() -> None:
            time.sleep(3)
            registry = StartedJobRegistry(
                QUEUE_NAME, connection=sync_redis(settings), serializer=JSONSerializer
            )
            seen["running"] = registry.get_job_ids(cleanup=False)
            seen["expired"] = registry.get_expired_job_ids()

        watcher = threading.Thread(target=look_after_the_lease)
        watcher.start()
        worker.work(burst=True)
        watcher.join()
        assert seen == {"running": [job.id], "expired": []}
        assert job.get_status(refresh=True) == JobStatus.FINISHED
