"""`vitals up`: run every service as a child process; Ctrl-C (or any child dying) stops all.

A deliberately small supervisor for development and `make run`; production runs each
service under its own process manager (see compose.yaml).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import msgspec

UVICORN = [sys.executable, "-m", "uvicorn", "--factory", "--no-access-log"]
# No permessage-deflate: compressing each event per socket doubled the server's CPU per
# event (bench/realtime); Socket.IO's own server disables it by default too.
REALTIME_OPTIONS = ["--ws-per-message-deflate", "false"]


class Service(msgspec.Struct, frozen=True):
    name: str
    command: list[str]
    port: int


def default_services(host: str, base_port: int, workers: int) -> list[Service]:
    services = [
        Service("ingest", [*UVICORN, "services.ingest.app:create_app"], base_port + 1),
        Service("query", [*UVICORN, "services.query.app:create_app"], base_port + 2),
        Service(
            "realtime",
            [*UVICORN, "services.realtime.app:create_app", *REALTIME_OPTIONS],
            base_port + 4,
        ),
    ]
    services = [
        Service(s.name, [*s.command, "--host", host, "--port", str(s.port)], s.port)
        for s in services
    ]
    for index in range(workers):
        port = base_port + 10 + index
        command = [
            sys.executable,
            "-m",
            "services.workers.main",
            "--host",
            host,
            "--port",
            str(port),
            "--name",
            f"worker-{os.getpid()}-{index}",
        ]
        services.append(Service(f"worker-{index}", command, port))
    return services


def dashboard_service(host: str, port: int) -> Service:
    """The built dashboard behind Vite's preview server, which proxies /v1 and /socket.io
    to VITALS_QUERY_URL and VITALS_REALTIME_URL: one origin, as a deployment would have."""
    dashboard = Path(__file__).resolve().parents[2] / "dashboard"
    vite = dashboard / "node_modules" / "vite" / "bin" / "vite.js"
    node = shutil.which("node") or "node"
    command = [node, str(vite), "preview", str(dashboard), "--host", host, "--port", str(port),
               "--strictPort"]  # fmt: skip
    return Service("dashboard", command, port)


def run(services: Sequence[Service], extra: Sequence[Service] = ()) -> int:
    """Start everything, wait until one exits or we are interrupted, then stop the rest."""
    children: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for service in [*services, *extra]:
        # New process group: the terminal's Ctrl-C reaches us once, and we stop children in order.
        children[service.name] = subprocess.Popen(  # noqa: S603 - our own fixed commands
            service.command, start_new_session=True
        )
    exit_code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                print(
                    f"vitals up: {name} exited with {child.returncode}; stopping everything",
                    file=sys.stderr,
                )
                exit_code = child.returncode or 1
                stopping = True
                break
        time.sleep(0.2)
    _terminate(children)
    return exit_code


def _terminate(children: dict[str, subprocess.Popen[bytes]], grace_s: float = 10.0) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for child in children.values():
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
