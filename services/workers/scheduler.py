"""RQ's scheduler (it enqueues retries when their backoff interval ends), run as a thread.

`worker.work(with_scheduler=True)` forks the scheduler from the worker process. Forking
a process that already runs threads (the health server) and may hold database sockets
is unsafe, and a SIGKILLed worker leaves the forked scheduler behind as an orphan. As a
thread it lives and dies with its worker.

Every worker runs one; a Redis lock lets one of them schedule each queue. RQ's lock
expires 60 s after its holder's last heartbeat; the other workers try to take it every
second (stock RQ waits 120 s between attempts), so retries stall at most about a minute
when the holder is killed.
"""

from __future__ import annotations

import threading
import time

import structlog
from redis import Redis
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer

RESTART_DELAY_S = 1.0

log = structlog.get_logger()


class ThreadScheduler(RQScheduler):
    def __init__(self, queues: list[str], connection: Redis) -> None:
        super().__init__(queues, connection=connection, serializer=JSONSerializer)
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)

    def _install_signal_handlers(self) -> None:
        """Signals belong to the worker's main thread; it stops us with request_stop."""

    @property
    def should_reacquire_locks(self) -> bool:
        return bool(self._queue_names != self.acquired_locks)

    def start(self) -> None:
        self._thread.start()

    def shutdown(self, timeout_s: float = 5.0) -> None:
        self.request_stop()  # type: ignore[no-untyped-call]
        self._thread.join(timeout_s)

    def _run(self) -> None:
        # RQ's loop ends on any exception (Redis restarting, say); a thread has no parent
        # to restart it, so it restarts itself.
        while not self._stop_requested:
            try:
                self.work()  # type: ignore[no-untyped-call]
            except Exception as exc:
                log.warning("scheduler_restarting", error=str(exc))
                time.sleep(RESTART_DELAY_S)
