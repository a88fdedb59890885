"""One supervised service: its current process, and the last lines it wrote."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections import deque
from typing import IO

from services.cli.restarts import RestartPolicy, Restarts
from services.cli.service_logs import ServiceLog

TAIL_LINES = 10


class Child:
    """A service's process, restarted by the supervisor; its output (stdout and stderr) is
    passed through to ours line by line, or written to its log, and the last lines are kept
    for a crash report."""

    def __init__(
        self, name: str, command: list[str], policy: RestartPolicy, log: ServiceLog | None = None
    ) -> None:
        self.name = name
        self.command = command
        self.log = log
        self.restarts = Restarts(policy)
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.restart_at: float | None = None
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._reader: threading.Thread | None = None

    def start(self) -> int:
        # New session: the terminal's Ctrl-C reaches the supervisor once, and it stops the
        # children itself; a signal to the group also reaches anything the child spawned.
        self.process = subprocess.Popen(  # noqa: S603 - our own fixed commands
            self.command,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.started_at = time.monotonic()
        self.restart_at = None
        self.tail.clear()  # a crash report shows what the run that crashed said
        assert self.process.stdout is not None  # stdout=PIPE above
        self._reader = threading.Thread(
            target=self._pass_through, args=(self.process.stdout,), daemon=True
        )
        self._reader.start()
        return self.process.pid

    def exited(self) -> int | None:
        """The exit code if the current process has ended since the last call, else None."""
        if self.process is None or self.process.poll() is None:
            return None
        code = self.process.returncode
        self.process = None
        if self._reader is not None:
            # Its last lines are what a crash report needs; a grandchild holding the pipe
            # open must not hold up the supervisor, hence the bound.
            self._reader.join(timeout=1.0)
        return code

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)

    def wait(self, timeout_s: float) -> bool:
        """True once the current process has ended, False if it outlived the timeout."""
        if self.process is None:
            return True
        try:
            self.process.wait(timeout=max(0.0, timeout_s))
        except subprocess.TimeoutExpired:
            return False
        return True

    def _pass_through(self, stream: IO[bytes]) -> None:
        log = self.log
        # Followed lines carry the service's name: several services share the terminal.
        prefix = f"{self.name:<10}| ".encode() if log else b""
        with stream:
            for line in stream:
                if log is not None:
                    log.write(line)
                if log is None or log.options.follow:
                    sys.stderr.buffer.write(prefix + line)
                    sys.stderr.buffer.flush()
                self.tail.append(line.decode(errors="replace").rstrip())
        if log is not None:
            log.end_of_stream()
