"""Where `vitals up`'s children write, when it keeps the terminal for what matters: every
line into `<dir>/<name>.log`, and only the errors (and a traceback's exception) picked
out for the terminal, a burst of them collapsed into a count.

Errors are recognised in the formats our processes write: structlog's console and JSON
renderers (`[error    ]`, `"level": "error"`), the standard library's as uvicorn and RQ
configure it (`ERROR:    …`, `ERROR - …`), and Python tracebacks.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

import msgspec

ANSI = re.compile(r"\x1b\[[0-9;]*m")
ERROR_LINE = re.compile(
    r"\[\s*(error|critical|exception)\s*\]"  # structlog console
    r"|\"level\":\s*\"(error|critical|exception)\""  # structlog JSON
    r"|^(ERROR|CRITICAL)(:|\s+-\s)"  # uvicorn (`ERROR:`), RQ (`ERROR - `)
)
TRACEBACK = "Traceback (most recent call last):"  # also in "Exception Group Traceback (…"
# Between the tracebacks of one chained exception: its last exception is the one to show.
CHAINED = ("During handling of the above exception", "The above exception was the direct cause")
# An exception line inside a traceback ("ValueError: …", "asyncpg.exceptions.X: …",
# "KeyboardInterrupt"), once an exception group's "  | " frame is taken off.
# CamelCase, so a log line's "INFO:" or "ERROR:" is not taken for one.
EXCEPTION_LINE = re.compile(r"^(?:[a-z_]\w*\.)*[A-Z]\w*[a-z]\w*(?::.*)?$")
NOTICE_CHARS = 200  # one terminal line, give or take
# A traceback's exception line is shown once nothing followed it for this long: the next
# line could still be the start of a chained exception's traceback.
TRACEBACK_SETTLE_S = 0.5


class LogOptions(msgspec.Struct, frozen=True):
    directory: str
    follow: bool = False  # also pass every line through to the terminal
    # 20 MB, then one older generation (<name>.log.1): a day of `make run` with demo traffic
    # writes far more than anyone reads.
    max_bytes: int = 20_000_000
    # After an error is shown, the service's next ones within this window are counted
    # and shown as one line: a dependency down fails every job, not once.
    quiet_s: float = 5.0
    # A service with a port that accepts no connection this long after its start is named.
    not_up_after_s: float = 30.0


def is_error(line: str) -> bool:
    return ERROR_LINE.search(line) is not None


def clean(line: str) -> str:
    text = ANSI.sub("", line).rstrip()
    return text if len(text) <= NOTICE_CHARS else text[: NOTICE_CHARS - 1] + "…"


class ErrorLines:
    """Picks the lines worth showing out of a stream: error lines, and for a traceback its
    last exception line ("ValueError: …") rather than its frames; an error line followed
    by a traceback becomes one notice with the exception after it."""

    def __init__(self) -> None:
        self._error: str | None = None  # an error line, waiting to see if a traceback follows
        # "lines"; "traceback" (frames so far); "after" (its exception line seen: a chained
        # exception's next traceback may follow)
        self._state = "lines"
        self._exception: str | None = None  # the last exception line of the traceback so far

    def feed(self, line: str) -> list[str]:
        if self._state != "lines":
            if self._part_of_traceback(line):
                return []
            return [*self.flush(), *self.feed(line)]
        if TRACEBACK in line:
            self._state, self._exception = "traceback", None
            return []
        shown = self.flush()
        if is_error(line):
            self._error = line
        return shown

    def _part_of_traceback(self, line: str) -> bool:
        if TRACEBACK in line:
            self._state = "traceback"  # a chained exception's next one
            return True
        if self._state == "after":
            return not line.strip() or line.startswith(CHAINED)
        if not line or line[0] in " \t|+":  # frames, code, an exception group's frames
            inner = line.strip(" \t|+")
            if EXCEPTION_LINE.match(inner):
                self._exception = inner
            return True
        if EXCEPTION_LINE.match(line):
            self._state, self._exception = "after", line
            return True
        return False

    def flush(self) -> list[str]:
        """What is pending: an error line, or a traceback's exception (after its error line)."""
        parts = [p for p in (self._error, self._exception) if p]
        if self._state == "traceback" and not self._exception:
            parts.append("a traceback, in the log")
        self._error, self._exception, self._state = None, None, "lines"
        return [" — ".join(parts)] if parts else []


class ServiceLog:
    """One service's log file and the error notices waiting for the terminal. `write` runs
    on the child's reader thread, `notices` on the supervisor's."""

    def __init__(self, name: str, options: LogOptions) -> None:
        self.name = name
        self.options = options
        self.path = Path(options.directory) / f"{name}.log"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("ab")
        self._errors = ErrorLines()
        self._waiting: deque[str] = deque()
        self._lock = threading.Lock()
        self._last_line_at = 0.0
        self._shown_at: float | None = None  # when the last error notice was shown
        self._held = 0  # errors counted, not shown, since then

    def write(self, raw: bytes) -> None:
        with self._lock:
            self._append(raw)
            self._waiting.extend(self._errors.feed(clean(raw.decode(errors="replace"))))
            self._last_line_at = time.monotonic()

    def mark(self, message: str) -> None:
        """A line of the supervisor's own in the service's log (a start, an exit)."""
        at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._lock:
            self._append(f"--- vitals up {at}: {message}\n".encode())

    def end_of_stream(self) -> None:
        with self._lock:
            self._waiting.extend(self._errors.flush())

    def notices(self, now: float) -> list[str]:
        """The lines to print now: an error, unless one was shown within the quiet window;
        once the window is over, how many were held back."""
        with self._lock:
            if now - self._last_line_at > TRACEBACK_SETTLE_S:
                self._waiting.extend(self._errors.flush())
            waiting = list(self._waiting)
            self._waiting.clear()
        shown: list[str] = []
        quiet = self._shown_at is not None and now - self._shown_at < self.options.quiet_s
        if self._held and not quiet:
            lines = "line" if self._held == 1 else "lines"
            shown.append(f"{self.name}: {self._held} more error {lines}, in {self.path}")
            self._held, self._shown_at, quiet = 0, None, False
        for line in waiting:
            if quiet:
                self._held += 1
                continue
            shown.append(f"{self.name} error: {line}")
            self._shown_at, quiet = now, True
        return shown

    def _append(self, raw: bytes) -> None:
        self._file.write(raw)
        self._file.flush()  # `tail -f` and a crash see every line at once
        if self._file.tell() >= self.options.max_bytes:
            self._file.close()
            self.path.replace(self.path.with_name(self.path.name + ".1"))
            self._file = self.path.open("ab")
