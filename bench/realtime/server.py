"""A private Redis and realtime server on loopback, started as production starts them."""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from services.contracts.settings import Settings
from tests.support.processes import RedisServer, ServiceProcess, free_port, settings_env


@contextmanager
def realtime_server() -> Iterator[tuple[ServiceProcess, Settings]]:
    redis_server = RedisServer(appendonly=False).start()
    settings = Settings(
        # Required by Settings; realtime never opens the database.
        database_url=os.environ.get("VITALS_DATABASE_URL", "postgresql://127.0.0.1/unused"),
        redis_url=redis_server.url,
        jwt_secret=secrets.token_urlsafe(48),
        log_level="warning",
    )
    port = free_port()
    # No permessage-deflate: compressing each event once per socket doubled the server's
    # CPU at fan-out (measured with browser-like clients that offer it), which is why
    # Socket.IO's own server turned it off by default in v3.
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "services.realtime.app:create_app",
        "--port", str(port), "--no-access-log", "--ws-per-message-deflate", "false",
    ]  # fmt: skip
    service = ServiceProcess("realtime-bench", command, settings_env(settings), port)
    try:
        service.wait_healthy()
        deadline = time.monotonic() + 30
        while httpx.get(service.url + "/ready").status_code != 200:
            if time.monotonic() > deadline:
                raise TimeoutError("realtime server not ready")
            time.sleep(0.1)
        yield service, settings
    finally:
        service.stop()
        redis_server.cleanup()
