"""`vitals up`'s supervisor as a real process over real children: a child that exits comes
back after a backoff while the others run on, a crash loop is reported rather than stormed,
and Ctrl-C or SIGTERM stops everything for good."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import msgspec
import pytest

from services.cli.restarts import RestartPolicy
from services.cli.service_logs import ErrorLines, LogOptions, ServiceLog
from services.cli.supervisor import Service
from services.contracts.settings import Settings
from tests.support.processes import ROOT, free_port, settings_env

# The supervisor exactly as `vitals up` runs it, over the services and policy given as JSON.
DRIVER = """
import sys, msgspec
from services.cli.restarts import RestartPolicy
from services.cli.service_logs import LogOptions
from services.cli.supervisor import Service, run
services = msgspec.json.decode(sys.argv[1], type=list[Service])
policy = msgspec.json.decode(sys.argv[2], type=RestartPolicy)
logs = msgspec.json.decode(sys.argv[3], type=LogOptions | None)
sys.exit(run(services, policy=policy, logs=logs))
"""
# Each start of a child appends "<pid> <time>" to the file it is given: the test sees every start.
RECORD = (
    "import os, signal, sys, time; open(sys.argv[1], 'a').write(f'{os.getpid()} {time.time()}\\n')"
)
SLEEPER = RECORD + "; time.sleep(3600)"
CRASHER = RECORD + "; print('cannot reach the database', flush=True); sys.exit(3)"
STUBBORN = RECORD + "; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(3600)"
# Listens on the port it is given (argv[2]) after a moment, as a service does once started.
SERVER = (
    RECORD + "; import socket; time.sleep(0.3); s = socket.socket();"
    " s.bind(('127.0.0.1', int(sys.argv[2]))); s.listen(); time.sleep(3600)"
)
# What a busy worker writes: RQ's chatter, an error, and an exception's traceback.
CHATTY = RECORD + (
    "; [print(f'INFO - rq.worker - beacons: Job OK ({n})', flush=True) for n in range(50)]"
    "; print('ERROR - rq.worker - job 7 failed: cannot reach the database', flush=True)"
    "; import traceback"
    "\ntry:\n    raise ValueError('bad batch')\nexcept ValueError:\n    traceback.print_exc()"
    "\nsys.stderr.flush(); time.sleep(3600)"
)
FAST = RestartPolicy(
    first_delay_s=0.2,
    max_delay_s=1.6,
    stable_after_s=60,
    crash_loop_exits=3,
    crash_loop_window_s=60,
    stop_grace_s=5,
)
LIVENESS_S = 20.0  # generous: the machine is shared and noisy


def eventually(condition: Callable[[], bool], within_s: float = LIVENESS_S) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within_s}s")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Supervisor:
    """A running supervisor over `python -c` children, each recording its starts in a file."""

    def __init__(
        self,
        directory: Path,
        scripts: dict[str, str],
        policy: RestartPolicy,
        logs: LogOptions | None = None,
        ports: dict[str, int] | None = None,
    ) -> None:
        self.directory = directory
        self.log_path = directory / "supervisor.log"
        ports = ports or {}
        services = [
            Service(
                name,
                [sys.executable, "-c", script, str(self._starts_path(name)), str(ports.get(name))],
                ports.get(name, 0),
            )
            for name, script in scripts.items()
        ]
        arguments = [msgspec.json.encode(x) for x in (services, policy, logs)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", DRIVER, *(a.decode() for a in arguments)],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def _starts_path(self, name: str) -> Path:
        return self.directory / f"{name}.starts"

    def starts(self, name: str) -> list[tuple[int, float]]:
        """(pid, wall time) of every start of the child so far."""
        path = self._starts_path(name)
        lines = path.read_text().splitlines() if path.exists() else []
        return [(int(pid), float(at)) for pid, at in (line.split() for line in lines)]

    def pid(self, name: str) -> int:
        eventually(lambda: bool(self.starts(name)))
        return self.starts(name)[-1][0]

    def output(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(LIVENESS_S)


@pytest.fixture
def supervise(tmp_path: Path) -> Iterator[Callable[..., Supervisor]]:
    started: list[Supervisor] = []

    def start(
        policy: RestartPolicy = FAST,
        logs: LogOptions | None = None,
        ports: dict[str, int] | None = None,
        **scripts: str,
    ) -> Supervisor:
        started.append(Supervisor(tmp_path, scripts, policy, logs, ports))
        return started[-1]

    yield start
    for supervisor in started:
        supervisor.stop()


class TestRestart:
    def test_a_killed_child_comes_back_and_the_others_run_on(self, supervise) -> None:  # type: ignore[no-untyped-def]
        """kill -9 of one child: it is started again with a new pid; the other keeps its process."""
        supervisor = supervise(victim=SLEEPER, bystander=SLEEPER)
        victim, bystander = supervisor.pid("victim"), supervisor.pid("bystander")
        killed_at = time.time()
        os.kill(victim, signal.SIGKILL)
        eventually(lambda: len(supervisor.starts("victim")) == 2)
        new_pid, started_at = supervisor.starts("victim")[-1]
        print(f"\nchild back {started_at - killed_at:.2f}s after kill -9 (first delay 0.2s)")
        assert new_pid != victim and alive(new_pid)
        assert supervisor.starts("bystander") == [supervisor.starts("bystander")[0]]
        assert alive(bystander)
        assert "victim was killed by signal SIGKILL" in supervisor.output()

    def test_a_clean_exit_is_restarted_too(self, supervise) -> None:  # type: ignore[no-untyped-def]
        """A child that ends on its own SIGTERM is not a reason to stop: it is started again."""
        supervisor = supervise(victim=SLEEPER)
        os.kill(supervisor.pid("victim"), signal.SIGTERM)
        eventually(lambda: len(supervisor.starts("victim")) == 2)
        assert supervisor.process.poll() is None


class TestCrashLoop:
    def test_a_crashing_child_backs_off_and_is_reported(self, supervise) -> None:  # type: ignore[no-untyped-def]
        """A child that exits at once every time is restarted after doubling delays, and the crash loop is reported with its exit code and last output."""
        supervisor = supervise(crasher=CRASHER, bystander=SLEEPER)
        bystander = supervisor.pid("bystander")
        eventually(lambda: len(supervisor.starts("crasher")) >= 5)
        times = [at for _, at in supervisor.starts("crasher")]
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        print("\ngaps between crash restarts: " + ", ".join(f"{gap:.2f}s" for gap in gaps))
        for attempt, gap in enumerate(gaps[:4]):
            assert gap >= FAST.first_delay_s * 2**attempt * 0.95, gaps
        output = supervisor.output()
        assert "CRASH LOOP: crasher exited with code 3" in output
        assert "| cannot reach the database" in output
        assert supervisor.starts("bystander") == [supervisor.starts("bystander")[0]]
        assert alive(bystander)


class TestStop:
    def test_sigterm_stops_every_child_and_nothing_restarts(self, supervise, tmp_path) -> None:  # type: ignore[no-untyped-def]
        """SIGTERM to the supervisor ends every child and the supervisor (exit 0), with no restart."""
        supervisor = supervise(first=SLEEPER, second=SLEEPER)
        pids = [supervisor.pid("first"), supervisor.pid("second")]
        assert supervisor.stop() == 0
        assert not any(alive(pid) for pid in pids)
        time.sleep(FAST.first_delay_s * 2)
        assert [len(supervisor.starts(n)) for n in ("first", "second")] == [1, 1]

    def test_a_child_ignoring_sigterm_is_killed_after_the_grace(self, supervise) -> None:  # type: ignore[no-untyped-def]
        """A child that ignores SIGTERM gets SIGKILL once the grace period is over."""
        policy = msgspec.structs.replace(FAST, stop_grace_s=0.5)
        supervisor = supervise(policy, stubborn=STUBBORN)
        pid = supervisor.pid("stubborn")
        time.sleep(0.2)  # let it install its handler; until then SIGTERM would end it
        assert supervisor.stop() == 0
        assert not alive(pid)
        assert "stubborn ignored SIGTERM for 0.5s; killing it" in supervisor.output()


class TestLogDir:
    def test_the_terminal_shows_up_and_errors_and_the_log_has_everything(  # type: ignore[no-untyped-def]
        self, supervise, tmp_path
    ) -> None:
        """With a log folder, the terminal gets a service's "up" once its port answers and one line per error (a traceback's exception), not the chatter; the log file has every line."""
        logs = LogOptions(str(tmp_path / "logs"), quiet_s=0)  # every error shown
        port = free_port()
        supervisor = supervise(logs=logs, ports={"server": port}, chatty=CHATTY, server=SERVER)
        server_pid = supervisor.pid("server")
        eventually(lambda: "ValueError: bad batch" in supervisor.output())
        eventually(lambda: "server up" in supervisor.output())
        terminal = supervisor.output().splitlines()
        assert f"vitals up: server up at http://127.0.0.1:{port} (pid {server_pid})" in terminal
        assert (
            "vitals up: chatty error: ERROR - rq.worker - job 7 failed: cannot reach the database"
            " — ValueError: bad batch" in terminal
        )
        assert not any("Job OK" in line or "Traceback" in line for line in terminal)
        log = (tmp_path / "logs" / "chatty.log").read_text()
        assert log.count("Job OK") == 50
        assert "Traceback (most recent call last):" in log and "ValueError: bad batch" in log
        assert f"started (pid {supervisor.pid('chatty')})" in log

    def test_follow_shows_every_line_with_its_service(self, supervise, tmp_path) -> None:  # type: ignore[no-untyped-def]
        """--follow passes every line through too, each after its service's name."""
        logs = LogOptions(str(tmp_path / "logs"), follow=True)
        supervisor = supervise(logs=logs, chatty=CHATTY)
        eventually(lambda: "ValueError: bad batch" in supervisor.output())
        assert "chatty    | INFO - rq.worker - beacons: Job OK (49)" in supervisor.output()
        assert "Job OK (49)" in (tmp_path / "logs" / "chatty.log").read_text()

    def test_a_crash_says_where_its_log_is(self, supervise, tmp_path) -> None:  # type: ignore[no-untyped-def]
        """A child that exits is reported down, naming its log file; a crash loop still shows its last lines."""
        logs = LogOptions(str(tmp_path / "logs"))
        supervisor = supervise(logs=logs, crasher=CRASHER)
        eventually(lambda: "CRASH LOOP" in supervisor.output())
        output = supervisor.output()
        assert "crasher exited with code 3 after" in output
        assert f"(its log: {tmp_path / 'logs' / 'crasher.log'})" in output
        assert "| cannot reach the database" in output


class TestErrorLines:
    def test_error_lines_in_our_processes_formats_are_picked(self) -> None:
        """structlog's console and JSON errors, uvicorn's and RQ's ERROR lines are picked; info and warnings are not."""
        lines = [
            "2026-12-07T00:58:35Z [error    ] batch_failed   job_id=1 service=workers",
            '{"event": "batch_failed", "level": "error", "service": "workers"}',
            "ERROR:    Exception in ASGI application",
            "ERROR - 2026-12-07 00:58:33,718 - rq.worker - base - job failed",
            "2026-12-07T00:58:35Z [info     ] batch_stored   beacons=1 errors=0",
            "INFO - 2026-12-07 00:58:33,718 - rq.worker - base - Job OK (error-free)",
            "WARNING:  Invalid HTTP request received.",
        ]
        errors = ErrorLines()
        picked = [line for line in lines if errors.feed(line) + errors.flush()]
        assert picked == lines[:4]

    def test_a_chained_traceback_shows_its_last_exception_only(self) -> None:
        """Of a traceback (chained or not), only the final exception line is shown, once what follows is not part of it."""
        text = """Traceback (most recent call last):
  File "x.py", line 1, in <module>
    connect()
ConnectionRefusedError: [Errno 111] Connection refused

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "x.py", line 3, in <module>
OSError: cannot reach the database
INFO - next line"""
        errors = ErrorLines()
        picked = [shown for line in text.splitlines() for shown in errors.feed(line)]
        assert picked == ["OSError: cannot reach the database"]
        assert errors.flush() == []

    def test_an_error_line_and_its_exception_group_are_one_notice(self) -> None:
        """uvicorn's error line and the exception group traceback after it are one notice, ending with the innermost exception."""
        text = """ERROR:    Exception in ASGI application
  + Exception Group Traceback (most recent call last):
  |   File "litestar/app.py", line 645, in lifespan
  |     async with AsyncExitStack() as exit_stack:
  | ExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception)
  +-+---------------- 1 ----------------
    | Traceback (most recent call last):
    |   File "asyncpg/connect_utils.py", line 996, in _create_ssl_connection
    |     tr, pr = await loop.create_connection(
    | ConnectionRefusedError: [Errno 111] Connection refused
    +------------------------------------
ERROR:    Application startup failed. Exiting."""
        errors = ErrorLines()
        picked = [shown for line in text.splitlines() for shown in errors.feed(line)]
        assert picked == [
            "ERROR:    Exception in ASGI application"
            " — ConnectionRefusedError: [Errno 111] Connection refused"
        ]
        assert errors.flush() == ["ERROR:    Application startup failed. Exiting."]


class TestServiceLog:
    def test_a_burst_of_errors_is_one_line_and_a_count(self, tmp_path: Path) -> None:
        """Errors within the quiet window after one shown are counted, and the count is shown once the window ends."""
        log = ServiceLog("worker-0", LogOptions(str(tmp_path), quiet_s=5))
        for n in range(10):
            log.write(f"ERROR - job {n} failed\n".encode())
        now = time.monotonic()
        assert log.notices(now) == ["worker-0 error: ERROR - job 0 failed"]
        assert log.notices(now + 1) == []
        held = f"worker-0: 9 more error lines, in {tmp_path / 'worker-0.log'}"
        assert log.notices(now + 5) == [held]
        log.write(b"ERROR - job 10 failed\n")
        assert log.notices(now + 6) == ["worker-0 error: ERROR - job 10 failed"]

    def test_the_log_file_keeps_one_older_generation(self, tmp_path: Path) -> None:
        """Past its size limit the log moves to <name>.log.1 (replacing the older one) and a new file starts."""
        log = ServiceLog("ingest", LogOptions(str(tmp_path), max_bytes=1000))
        for n in range(60):
            log.write(f"INFO line {n:03} {'x' * 40}\n".encode())
        current = (tmp_path / "ingest.log").read_text()
        older = (tmp_path / "ingest.log.1").read_text()
        assert "line 059" in current and len(current) < 1000
        assert "line 000" not in older + current  # two generations, not more
        assert len(older) >= 1000


def _free_base_port() -> int:
    """A base port whose ingest, query, realtime and first worker ports are all free."""
    for _ in range(50):
        base = free_port() % 50_000 + 10_000
        try:
            for offset in (1, 2, 4, 10):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        return base
    raise RuntimeError("no free block of ports")


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _pid_in(output: str, name: str, verb: str) -> int | None:
    marker = f"vitals up: {name} {verb} (pid "
    lines = [line for line in output.splitlines() if line.startswith(marker)]
    return int(lines[-1][len(marker) : -1]) if lines else None


class TestVitalsUp:
    def test_killed_ingest_answers_again_and_query_is_untouched(
        self, settings: Settings, tmp_path: Path
    ) -> None:
        """The real `vitals up`: ingest killed with -9 answers /health again from a new process while query keeps its pid."""
        base = _free_base_port()
        log_path = tmp_path / "up.log"
        command = [sys.executable, "-m", "services.cli.main", "up", "--quiet",
                   "--workers", "1", "--base-port", str(base)]  # fmt: skip
        with log_path.open("wb") as log:
            up = subprocess.Popen(
                command, cwd=ROOT, env=settings_env(settings), stdout=log, stderr=subprocess.STDOUT
            )
        ingest, query = f"http://127.0.0.1:{base + 1}", f"http://127.0.0.1:{base + 2}"
        try:
            eventually(lambda: _healthy(ingest) and _healthy(query), within_s=60)
            output = log_path.read_text()
            ingest_pid = _pid_in(output, "ingest", "started")
            query_pid = _pid_in(output, "query", "started")
            assert ingest_pid and query_pid
            killed_at = time.monotonic()
            os.kill(ingest_pid, signal.SIGKILL)
            eventually(lambda: _pid_in(log_path.read_text(), "ingest", "restarted") is not None)
            eventually(lambda: _healthy(ingest), within_s=60)  # a cold start of uvicorn
            print(f"\ningest answered /health {time.monotonic() - killed_at:.2f}s after kill -9")
            assert _pid_in(log_path.read_text(), "ingest", "restarted") != ingest_pid
            assert _pid_in(log_path.read_text(), "query", "restarted") is None
            assert alive(query_pid) and _healthy(query)
        finally:
            up.send_signal(signal.SIGTERM)
            code = up.wait(LIVENESS_S)
        assert code == 0, log_path.read_text()[-2000:]
        assert not _healthy(ingest)
