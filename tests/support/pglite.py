"""The Timescale-licensed edition for tests: PGlite + TimescaleDB 2.23 over pglite-socket.

It serves one connection at a time (a second waits), so edition tests run migrations,
writes and reads in sequence on one connection.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import asyncpg

HARNESS = Path(__file__).resolve().parents[1] / "editions" / "pglite_server.mjs"
# PGlite boots a WASM PostgreSQL: seconds when idle, much longer on a loaded 2-core box.
READY_TIMEOUT_S = 120


class PGliteServer:
    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.port = 0

    def start(self) -> PGliteServer:
        node = shutil.which("node") or "node"
        self.process = subprocess.Popen(
            [node, str(HARNESS), "--port", "0"], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        line = ""
        while time.monotonic() < deadline and not line.startswith("READY"):
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                raise RuntimeError(f"pglite harness exited with {self.process.returncode}")
        if not line.startswith("READY"):
            self.stop()
            raise TimeoutError("pglite harness did not become ready")
        self.port = int(line.split()[1])
        return self

    async def connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(
            host="127.0.0.1", port=self.port, user="postgres", password="x", database="postgres",
            ssl=False, server_settings={"timezone": "UTC"},
        )  # fmt: skip

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
