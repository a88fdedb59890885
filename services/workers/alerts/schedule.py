"""When the alert jobs run: every worker's maintenance tick (every 10 s) offers to enqueue
them, and a Redis key with an expiry lets one offer through per period across all
workers and machines, as the retention job does. Evaluating every minute and delivering
every tick is cheap when there is nothing to do (one indexed query each); the evaluation
itself also holds a PostgreSQL advisory lock, so an evaluation that outlives its period
is never run twice at once (evaluate.py).
"""

from __future__ import annotations

import redis
from rq import Queue
from rq.serializers import JSONSerializer

from services.contracts.queue import QUEUE_NAME

EVALUATE_JOB = "services.workers.alerts.evaluate.evaluate_due"
DELIVER_JOB = "services.workers.alerts.delivery.deliver_due"
EVALUATE_KEY = "vitals:alerts:evaluate:due"
DELIVER_KEY = "vitals:alerts:deliver:due"
DELIVER_EVERY_S = 10
# Set with a long expiry, they hold both jobs off (tests and benchmarks whose queue must
# carry only their own jobs do, as they hold off the retention job).
KEYS = (EVALUATE_KEY, DELIVER_KEY)


def enqueue_if_due(connection: redis.Redis, *, evaluate_every_s: int) -> list[str]:
    """The alert jobs this call enqueued (none when another worker did within the period)."""
    queue = Queue(QUEUE_NAME, connection=connection, serializer=JSONSerializer)
    enqueued = []
    for key, every_s, job in (
        (EVALUATE_KEY, evaluate_every_s, EVALUATE_JOB),
        (DELIVER_KEY, DELIVER_EVERY_S, DELIVER_JOB),
    ):
        if connection.set(key, 1, nx=True, ex=every_s):
            queue.enqueue(job, description=job.rsplit(".", 1)[1])
            enqueued.append(job)
    return enqueued
