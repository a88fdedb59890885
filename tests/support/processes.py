"""Real processes for tests: our services, and throwaway Redis servers to kill at will."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import msgspec
import redis

from services.contracts.settings import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment a child process needs to rebuild exactly these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    for name, value in msgspec.structs.asdict(settings).items():
        if value is None:
            continue
        text = ",".join(value) if isinstance(value, tuple) else str(value)
        env[ENV_PREFIX + name.upper()] = text
    return env


class ServiceProcess:
    """A service started the way production starts it, logging to test-output/."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], port: int) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        OUTPUT.mkdir(exist_ok=True)
        self.log_path = OUTPUT / f"{name}-{port}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT
        )

    def wait_healthy(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(
            f"{self.name} not healthy after {timeout_s}s: {self.log_path.read_text()[-2000:]}"
        )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def uvicorn_service(name: str, factory: str, settings: Settings) -> ServiceProcess:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", factory, "--port", str(port)]
    return ServiceProcess(name, command, settings_env(settings), port)


def worker_service(settings: Settings, *extra: str) -> ServiceProcess:
    port = free_port()
    command = [sys.executable, "-m", "services.workers.main", "--port", str(port), *extra]
    return ServiceProcess("worker", command, settings_env(settings), port)


class RedisServer:
    """A private redis-server for tests that stop, kill or restart Redis."""

    def __init__(self, *, appendonly: bool = True, policy: str = "noeviction") -> None:
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="vitals-redis-"))
        self.appendonly = appendonly
        self.policy = policy
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        redis_server = shutil.which("redis-server") or "/usr/bin/redis-server"
        command = [
            redis_server, "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.directory), "--save", "",
            "--appendonly", "yes" if self.appendonly else "no", "--appendfsync", "everysec",
            "--maxmemory-policy", self.policy,
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        # Started means serving commands: after a crash Redis accepts connections while it
        # still loads its append-only file, and answers LOADING to everything meanwhile.
        client = redis.Redis(port=self.port, socket_timeout=0.5, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        try:
            while time.monotonic() < deadline:
                try:
                    client.ping()
                    return self
                except redis.ConnectionError:  # BusyLoadingError included
                    time.sleep(0.05)
        finally:
            client.close()
        raise TimeoutError("redis-server did not start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(10)
        self.process = None

    def cleanup(self) -> None:
        self.stop(signal.SIGKILL)
        shutil.rmtree(self.directory, ignore_errors=True)
