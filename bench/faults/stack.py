"""The supervised services of one scenario: started, watched, signalled, stopped.

The supervisor names every child it starts on its standard error (`vitals up: ingest
started (pid 123)`, later `restarted`), so the current pid of each service is read from
its log rather than guessed from the process table.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx

from bench.faults.supervised import HOST, services
from services.contracts.settings import Settings
from tests.support.processes import OUTPUT, ROOT, settings_env

STARTED = re.compile(r"vitals up: (\S+) (?:re)?started \(pid (\d+)\)")
START_TIMEOUT_S = 60.0  # imports take seconds each on a busy two-core machine


class SupervisedStack:
    def __init__(self, settings: Settings, name: str) -> None:
        self.base_port = _free_base_port()
        self.ports = {s.name: s.port for s in services(self.base_port)}
        OUTPUT.mkdir(exist_ok=True)
        self.log_path = OUTPUT / f"bench-faults-{name}.log"
        self._log = self.log_path.open("wb")
        command = [sys.executable, "-m", "bench.faults.supervised",
                   "--base-port", str(self.base_port)]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603 - our own argv, no shell
            command, env=settings_env(settings), cwd=ROOT, stdout=self._log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    @property
    def ingest_port(self) -> int:
        return self.ports["ingest"]

    @property
    def worker_names(self) -> list[str]:
        return sorted(n for n in self.ports if n.startswith("worker-"))

    def url(self, name: str) -> str:
        return f"http://{HOST}:{self.ports[name]}"

    def pid(self, name: str) -> int | None:
        """The pid the supervisor last started `name` under."""
        log = self.log_path.read_text("utf-8", "replace")
        pids = {m[1]: int(m[2]) for m in STARTED.finditer(log)}
        return pids.get(name)

    def healthy(self, name: str) -> bool:
        try:
            return httpx.get(self.url(name) + "/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_healthy(self, timeout_s: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while not all(self.healthy(name) for name in self.ports):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the supervised services did not start; see {self.log_path}")
            time.sleep(0.2)

    def signal(self, name: str, sig: signal.Signals) -> int:
        """Sends `sig` to the service's current process; its pid."""
        pid = self.pid(name)
        assert pid is not None, f"{name} was never started"
        os.kill(pid, sig)
        return pid

    def restarted_since(self, name: str, old_pid: int) -> bool:
        """Started again by the supervisor under a new pid, and answering /health."""
        pid = self.pid(name)
        return pid is not None and pid != old_pid and self.healthy(name)

    def stop(self) -> None:
        """SIGTERM to the supervisor, which stops its children (SIGKILL after a grace)."""
        for name in self.ports:  # a child still stopped would ignore SIGTERM until killed
            pid = self.pid(name)
            if pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def _free_base_port() -> int:
    """A base port whose service ports (base + 1, + 10, + 11) are all free."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            base: int = probe.getsockname()[1] - 1
        if base + 12 < 65536 and all(_free(base + offset) for offset in (1, 10, 11)):
            return base
    raise RuntimeError("no free ports for the supervised services")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
        return True
