"""A private PostgreSQL cluster with TimescaleDB, for tests that restart or crash PostgreSQL.

The local server on VITALS_DATABASE_URL serves every suite at once; restarting it would
break the others' runs. A test that needs PostgreSQL to go away gets its own cluster:
initialised in a temporary directory, on a free port, with the same preload as the
local one. PostgreSQL refuses to run as root, so when the tests run as root the cluster
belongs to the `postgres` user (as scripts/provision.sh does for the local one).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

import asyncpg

from tests.support.migrations import migrate
from tests.support.processes import free_port

PG_BIN = Path(os.environ.get("VITALS_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
OWNER = "postgres"
START_TIMEOUT_S = 60
ShutdownMode = Literal["smart", "fast", "immediate"]

# fsync off: these tests crash PostgreSQL's processes, never the machine, and written
# pages survive a process crash in the OS cache; it makes initdb and each test faster.
CONFIG = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = ''
shared_preload_libraries = 'timescaledb'
timescaledb.telemetry_level = off
max_connections = 50
fsync = off
"""


class PostgresServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="vitals-pg-"))
        self.data = self.directory / "data"
        self.log_path = self.directory / "server.log"
        if os.geteuid() == 0:
            shutil.chown(self.directory, OWNER)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{OWNER}@127.0.0.1:{self.port}/{database}"

    def init(self) -> PostgresServer:
        self._run(
            "initdb", "-D", str(self.data), "-U", OWNER, "--auth=trust", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(CONFIG.format(port=self.port))
        return self

    def start(self) -> PostgresServer:
        self._pg_ctl("start", "-l", str(self.log_path))
        return self

    def stop(self, mode: ShutdownMode = "fast") -> None:
        self._pg_ctl("stop", "-m", mode)

    def restart(self, mode: ShutdownMode = "fast") -> None:
        """Stops (immediate: a crash, every backend killed mid-statement) and starts again."""
        self._pg_ctl("restart", "-m", mode, "-l", str(self.log_path))

    async def create_migrated_database(self, name: str) -> str:
        """A new database with every migration applied; its URL."""
        admin = await asyncpg.connect(self.url())
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        connection = await asyncpg.connect(self.url(name))
        try:
            await migrate(connection)
        finally:
            await connection.close()
        return self.url(name)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def cleanup(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("stop", "-m", "immediate", check=False)
        shutil.rmtree(self.directory, ignore_errors=True)

    def _pg_ctl(self, *args: str, check: bool = True) -> None:
        self._run(
            "pg_ctl", "-D", str(self.data), "-w", "-t", str(START_TIMEOUT_S), *args, check=check
        )

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        command = [str(PG_BIN / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", OWNER, "--", *command]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=START_TIMEOUT_S + 10, check=False
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{program} {' '.join(args)} failed ({result.returncode}): "
                f"{result.stderr.strip()}\n{self.log_tail()}"
            )
