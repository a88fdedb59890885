"""`vitals-worker`: an RQ worker process that runs jobs in-process (no fork per job)."""

from __future__ import annotations

import argparse
import os
import secrets
import socket

from rq.serializers import JSONSerializer

from services.contracts.logging import configure_logging
from services.contracts.queue import QUEUE_NAME
from services.contracts.redis_client import sync_redis
from services.contracts.settings import Settings
from services.workers import health, runtime
from services.workers.registry import RegistryKeeper
from services.workers.scheduler import ThreadScheduler
from services.workers.worker import VitalsWorker


def create_worker(settings: Settings | None = None, name: str | None = None) -> VitalsWorker:
    settings = settings or Settings.from_env()
    configure_logging(settings, runtime.SERVICE)
    runtime.install(settings)
    # A SimpleWorker runs each job in this process: the per-job fork of rq.Worker costs
    # milliseconds, more than a batch insert, and would discard the loop and the pool.
    return VitalsWorker(
        [QUEUE_NAME],
        connection=sync_redis(settings),
        serializer=JSONSerializer,
        name=unique_name(name) if name else None,
    )


def unique_name(prefix: str) -> str:
    """`--name` plus host, pid and a random tail: RQ refuses a name whose previous owner's
    key has not expired yet (about 85 s after a kill), so no two starts share one."""
    return f"{prefix}.{socket.gethostname()}.{os.getpid()}.{secrets.token_hex(3)}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="vitals-worker", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="health/metrics address")
    parser.add_argument("--port", type=int, default=8003, help="health/metrics port; 0 disables")
    parser.add_argument("--name", help="RQ worker name prefix (made unique per start)")
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    worker = create_worker(settings, args.name)
    if args.port:
        health.serve_in_thread(settings, args.host, args.port)
    scheduler = ThreadScheduler([QUEUE_NAME], connection=worker.connection)
    scheduler.start()
    keeper = RegistryKeeper(settings)
    keeper.start()
    try:
        worker.work(burst=args.burst, logging_level=settings.log_level.upper())
    finally:
        keeper.stop()
        scheduler.shutdown()
        runtime.current().close()


if __name__ == "__main__":
    main()
