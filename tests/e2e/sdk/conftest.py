"""The SDK end-to-end tests' running system: ingest serving the freshly built SDK, a
worker and query, as real processes on the suite's test database."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from services.contracts.settings import Settings
from tests.e2e.stack import INGEST_FACTORY
from tests.support.processes import ROOT, ServiceProcess, uvicorn_service, worker_service

SDK = ROOT / "sdk"
QUERY_FACTORY = "services.query.app:create_app"


def build_sdk() -> Path:
    """sdk/dist, rebuilt when older than its sources (scripts/provision.sh's rule): ingest
    serves the bundle it finds there at start, and a stale one would test old code."""
    bundle = SDK / "dist" / "vitals.js"
    sources = [SDK / "package-lock.json", *(SDK / "src").rglob("*.ts")]
    if not bundle.is_file() or max(p.stat().st_mtime for p in sources) > bundle.stat().st_mtime:
        result = subprocess.run(
            ["npm", "run", "build", "--silent"],
            cwd=SDK, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert result.returncode == 0, f"SDK build failed:\n{result.stdout}\n{result.stderr}"
    return bundle.parent


class System(msgspec.Struct):
    settings: Settings
    ingest: ServiceProcess
    query: ServiceProcess
    worker: ServiceProcess


@pytest.fixture(scope="module")
def sdk_dist() -> Path:
    return build_sdk()


@pytest.fixture
def system(stack_settings: Settings, sdk_dist: Path) -> Iterator[System]:
    """Ingest (after the SDK is built: it reads the bundle at start), a worker and query."""
    ingest = uvicorn_service("ingest", INGEST_FACTORY, stack_settings)
    query = uvicorn_service("query", QUERY_FACTORY, stack_settings)
    worker = worker_service(stack_settings, "--name", f"sdk-e2e-{uuid.uuid4().hex[:8]}")
    try:
        for process in (ingest, query, worker):
            process.wait_healthy(60)
        yield System(stack_settings, ingest, query, worker)
    finally:
        for process in (worker, query, ingest):
            process.stop()
