"""The whole system for the dashboard's end-to-end tests, as real processes.

Ingest, a worker, query, admin and realtime run on the suite's test database and a Redis
of their own; the dashboard is built into a temporary folder and served by `vite preview`,
which proxies `/v1` to the query service and the alert rules' and destinations' paths to
the admin service (so both APIs are same-origin, as in a deployment behind one host)
while Socket.IO goes straight to the realtime server, cross-origin, through its CORS
allow-list, as in a deployment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import msgspec
import redis

from services.contracts.settings import Settings
from services.workers.alerts.schedule import KEYS as ALERT_KEYS
from services.workers.retention import DUE_KEY
from tests.support.processes import (
    ROOT,
    RedisServer,
    ServiceProcess,
    free_port,
    uvicorn_service,
    worker_service,
)

DASHBOARD = ROOT / "dashboard"
OUTPUT = ROOT / "test-output" / "dashboard"


def build_dashboard(out_dir: Path) -> None:
    """`vite build` into out_dir, so a concurrent build or dev server keeps its own dist/."""
    result = subprocess.run(
        ["node", "node_modules/vite/bin/vite.js", "build", "--outDir", str(out_dir), "--emptyOutDir",
         "--logLevel", "warn"],
        cwd=DASHBOARD, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"dashboard build failed:\n{result.stdout}\n{result.stderr}"


def wait_ready(service: ServiceProcess, path: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited: {service.log_path.read_text()[-3000:]}")
        try:
            if httpx.get(service.url + path, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{service.name} not ready: {service.log_path.read_text()[-3000:]}")


class DashboardStack:
    """Every process the dashboard talks to, and the dashboard itself; stop() ends them all."""

    def __init__(self, settings: Settings) -> None:
        self.redis = RedisServer().start()
        self.dashboard_port = free_port()
        self.dashboard_url = f"http://127.0.0.1:{self.dashboard_port}"
        self.settings = msgspec.structs.replace(
            settings,
            redis_url=self.redis.url,
            realtime_cors_origins=(self.dashboard_url,),
            dashboard_url=self.dashboard_url,  # set-password links open this dashboard
        )
        self.processes: list[ServiceProcess] = []
        self.build_dir = Path(tempfile.mkdtemp(prefix="vitals-dashboard-"))

    def start(self) -> DashboardStack:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        settings = self.settings
        # The hourly retention job counts as done: it would drop the seeded weeks-old rows.
        client = redis.Redis.from_url(self.redis.url)
        try:
            client.set(DUE_KEY, 1, ex=3600)
            for alert_key in ALERT_KEYS:  # the alert jobs too (alerts/schedule.py)
                client.set(alert_key, 1, ex=3600)
        finally:
            client.close()
        self.ingest = uvicorn_service("ingest", "services.ingest.app:create_app", settings)
        self.query = uvicorn_service("query", "services.query.app:create_app", settings)
        # Destinations the alerts test adds point at 127.0.0.1, which only this allows.
        admin_settings = msgspec.structs.replace(settings, alerts_allow_private_destinations=True)
        self.admin = uvicorn_service("admin", "services.admin.app:create_app", admin_settings)
        self.realtime = uvicorn_service("realtime", "services.realtime.app:create_app", settings)
        self.worker = worker_service(settings, "--name", f"dashboard-e2e-{os.getpid()}")
        self.processes += [self.ingest, self.query, self.admin, self.realtime, self.worker]
        build_dashboard(self.build_dir)  # while the services start
        for process in self.processes:
            process.wait_healthy(60)
        wait_ready(self.realtime, "/ready")
        self.dashboard = preview_server(
            self.build_dir,
            query_url=self.query.url,
            realtime_url=self.realtime.url,
            admin_url=self.admin.url,
            # The Setup page's snippets name ingest where it runs, on its own origin.
            config={"queryUrl": "", "realtimeUrl": self.realtime.url, "ingestUrl": self.ingest.url},
            port=self.dashboard_port,
        )
        self.processes.append(self.dashboard)
        wait_ready(self.dashboard, "/config.json")

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.redis.cleanup()
        shutil.rmtree(self.build_dir, ignore_errors=True)


def preview_server(
    build_dir: Path,
    *,
    query_url: str,
    realtime_url: str,
    admin_url: str | None = None,
    config: dict[str, str] | None = None,
    port: int | None = None,
) -> ServiceProcess:
    """`vite preview` of a build: `/v1` (the admin paths to `admin_url`) and `/socket.io`
    proxied, `config` as /config.json."""
    port = port or free_port()
    env = {
        **os.environ,
        "VITALS_QUERY_URL": query_url,
        "VITALS_REALTIME_URL": realtime_url,
        **({"VITALS_ADMIN_URL": admin_url} if admin_url else {}),
        "VITALS_DASHBOARD_CONFIG": json.dumps(config or {"queryUrl": "", "realtimeUrl": ""}),
    }
    command = [
        "node", str(DASHBOARD / "node_modules/vite/bin/vite.js"), "preview",
        "--outDir", str(build_dir), "--host", "127.0.0.1", "--port", str(port), "--strictPort",
    ]  # fmt: skip
    return _Dashboard(command, env, port)


class _Dashboard(ServiceProcess):
    """`vite preview` run from dashboard/ (it reads vite.config.ts there)."""

    def __init__(self, command: list[str], env: dict[str, str], port: int) -> None:
        self.name = "dashboard"
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        OUTPUT.mkdir(parents=True, exist_ok=True)
        self.log_path = OUTPUT / f"dashboard-{port}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, env=env, cwd=DASHBOARD, stdout=self._log, stderr=subprocess.STDOUT
        )
