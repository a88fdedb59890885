"""`vitals up`: run every service as a child process, restart one that exits, and stop
them all on Ctrl-C or SIGTERM.

With a log folder (`make run`), each service's output goes to its own file there and the
terminal gets one line per thing that matters: a service up (accepting connections on its
port) or down, and its errors (service_logs.py picks them out).

A deliberately small supervisor for development and `make run`; production runs each
service under its own process manager with the same restart policy (compose.yaml, or the
systemd units in deploy/systemd/).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import msgspec

from services.cli.child import Child
from services.cli.restarts import RestartPolicy
from services.cli.service_logs import LogOptions, ServiceLog

UVICORN = [sys.executable, "-m", "uvicorn", "--factory", "--no-access-log"]
# No permessage-deflate: compressing each event per socket doubled the server's CPU per
# event (bench/realtime); Socket.IO's own server disables it by default too.
REALTIME_OPTIONS = ["--ws-per-message-deflate", "false"]


class Service(msgspec.Struct, frozen=True):
    name: str
    command: list[str]
    port: int  # 0: none to watch
    host: str = "127.0.0.1"


def default_services(host: str, base_port: int, workers: int) -> list[Service]:
    services = [
        Service("ingest", [*UVICORN, "services.ingest.app:create_app"], base_port + 1),
        Service("query", [*UVICORN, "services.query.app:create_app"], base_port + 2),
        Service("admin", [*UVICORN, "services.admin.app:create_app"], base_port + 5),
        Service(
            "realtime",
            [*UVICORN, "services.realtime.app:create_app", *REALTIME_OPTIONS],
            base_port + 4,
        ),
    ]
    services = [
        Service(s.name, [*s.command, "--host", host, "--port", str(s.port)], s.port, host)
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
        services.append(Service(f"worker-{index}", command, port, host))
    return services


def dashboard_service(host: str, port: int) -> Service:
    """The built dashboard behind Vite's preview server, which proxies /v1 and /socket.io
    to VITALS_QUERY_URL and VITALS_REALTIME_URL: one origin, as a deployment would have."""
    dashboard = Path(__file__).resolve().parents[2] / "dashboard"
    vite = dashboard / "node_modules" / "vite" / "bin" / "vite.js"
    node = shutil.which("node") or "node"
    command = [node, str(vite), "preview", str(dashboard), "--host", host, "--port", str(port),
               "--strictPort"]  # fmt: skip
    return Service("dashboard", command, port, host)


def run(
    services: Sequence[Service],
    extra: Sequence[Service] = (),
    policy: RestartPolicy | None = None,
    logs: LogOptions | None = None,
) -> int:
    """Start everything and keep it running: a child that exits is started again after a
    backoff, the others untouched. Ctrl-C or SIGTERM stops every child; nothing restarts."""
    policy = policy or RestartPolicy()
    everything = [*services, *extra]
    children = [
        Child(s.name, s.command, policy, ServiceLog(s.name, logs) if logs else None)
        for s in everything
    ]
    watches = [_Watch(s, logs.not_up_after_s if logs else 30.0) for s in everything]
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for child, watch in zip(children, watches, strict=True):
        _started(child, watch, "started")
    while not stopping:
        now = time.monotonic()
        for child, watch in zip(children, watches, strict=True):
            code = child.exited()
            if code is not None:
                watch.pid = None
                _restart_later(child, code, now)
            elif child.restart_at is not None and now >= child.restart_at and not stopping:
                _started(child, watch, "restarted")
            elif watch.pid is not None:
                _watch_port(child, watch, now)
            if child.log is not None:
                for notice in child.log.notices(now):
                    _say(notice)
        time.sleep(0.1)
    _terminate(children, policy.stop_grace_s)
    return 0


class _Watch:
    """Whether a child's port has answered since its last start."""

    def __init__(self, service: Service, not_up_after_s: float) -> None:
        self.service = service
        self.not_up_after_s = not_up_after_s
        self.pid: int | None = None  # the process not yet seen listening
        self.warned = False


def _started(child: Child, watch: _Watch, verb: str) -> None:
    pid = child.start()
    if child.log is None:
        _say(f"{child.name} {verb} (pid {pid})")
    else:
        child.log.mark(f"{verb} (pid {pid})")
        if not watch.service.port:  # nothing to wait for: this is the line that matters
            _say(f"{child.name} {verb} (pid {pid})")
    watch.pid, watch.warned = (pid if watch.service.port else None), False


def _watch_port(child: Child, watch: _Watch, now: float) -> None:
    service = watch.service
    host = "127.0.0.1" if service.host in ("0.0.0.0", "::", "") else service.host  # noqa: S104 - compared, not bound
    try:
        with socket.create_connection((host, service.port), timeout=0.05):
            pass
    except OSError:
        if not watch.warned and now - child.started_at > watch.not_up_after_s:
            watch.warned = True
            where = f"; see {child.log.path}" if child.log else ""
            _say(
                f"{child.name} (pid {watch.pid}) is not listening on {host}:{service.port}"
                f" {watch.not_up_after_s:g}s after its start{where}"
            )
        return
    _say(f"{child.name} up at http://{host}:{service.port} (pid {watch.pid})")
    watch.pid = None


def _restart_later(child: Child, code: int, now: float) -> None:
    uptime_s = now - child.started_at
    delay_s = child.restarts.after_exit(uptime_s, now)
    child.restart_at = now + delay_s
    how = _exit_reason(code)
    if child.log is not None:
        child.log.mark(f"{how} after {uptime_s:.1f}s")
    if not child.restarts.crash_looping:
        where = f" (its log: {child.log.path})" if child.log else ""
        _say(f"{child.name} {how} after {uptime_s:.1f}s; restarting in {delay_s:g}s{where}")
        return
    # Loud and whole: the name, how it ended, and what it said last, so the cause is in
    # front of the operator without a restart storm scrolling it away.
    window_s = child.restarts.window_s
    last = "".join(f"\n    | {line}" for line in child.tail) or " (no output)"
    _say(
        f"CRASH LOOP: {child.name} {how}, {child.restarts.recent_exits} exits within"
        f" {window_s:g}s; restarting in {delay_s:g}s. Its last output:{last}"
    )


def _exit_reason(code: int) -> str:
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else -code
        return f"was killed by signal {name}"
    return f"exited with code {code}"


def _say(message: str) -> None:
    print(f"vitals up: {message}", file=sys.stderr, flush=True)


def _terminate(children: Sequence[Child], grace_s: float) -> None:
    for child in children:
        child.signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for child in children:
        if not child.wait(deadline - time.monotonic()):
            _say(f"{child.name} ignored SIGTERM for {grace_s:g}s; killing it")
            child.signal(signal.SIGKILL)
            child.wait(grace_s)
