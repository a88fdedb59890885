"""The processes under test, started the way production starts them (compose.yaml's
commands), plus the load generator in a process of its own.

Logs go to test-output/ as the tests' processes do.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

from services.contracts.settings import Settings
from tests.support.processes import ROOT, ServiceProcess, free_port, settings_env

INGEST_FACTORY = "services.ingest.app:create_app"


def start_ingest(settings: Settings, processes: int) -> ServiceProcess:
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--factory", INGEST_FACTORY,
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(processes),
        "--no-access-log",
    ]  # fmt: skip
    ingest = ServiceProcess(f"bench-ingest-{processes}w", command, settings_env(settings), port)
    ingest.wait_healthy()
    return ingest


def start_worker(settings: Settings, *, burst: bool) -> ServiceProcess:
    """A worker with its health port; in burst mode it exits once the queue is empty."""
    port = free_port()
    command = [
        sys.executable, "-m", "services.workers.main", "--port", str(port),
        "--name", f"bench-{uuid.uuid4().hex[:8]}", *(["--burst"] if burst else []),
    ]  # fmt: skip
    return ServiceProcess("bench-worker", command, settings_env(settings), port)


def run_load(
    port: int, key: str, *, run: str, origin_ms: int, rate: float, duration_s: float,
    connections: int, tag_every: int, out: Path,
) -> subprocess.Popen[bytes]:  # fmt: skip
    """Start `bench.ingest.load` (see there); wait() on it, then read `out`."""
    command = [
        sys.executable, "-m", "bench.ingest.load", "--port", str(port), "--key", key,
        "--run", run, "--origin-ms", str(origin_ms), "--rate", str(rate),
        "--duration", str(duration_s), "--connections", str(connections),
        "--tag-every", str(tag_every), "--out", str(out),
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT)  # noqa: S603 - our own argv, no shell


def load_result(load: subprocess.Popen[bytes], out: Path, timeout_s: float) -> dict[str, object]:
    if load.wait(timeout_s) != 0:
        raise RuntimeError(f"the load generator failed (exit {load.returncode})")
    result: dict[str, object] = json.loads(out.read_text())
    return result


def now_ms() -> int:
    return int(time.time() * 1000)
