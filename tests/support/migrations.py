"""Migrations of a database on a cluster other test processes share, one at a time.

Under pytest-xdist each worker migrates its own database, but migrations also create and
alter cluster-wide roles (0004, 0008, 0015): two at once on one cluster race on them
("tuple concurrently updated"). PostgreSQL's advisory locks are per database, so the lock
is a file every worker on this machine sees.
"""

from __future__ import annotations

import asyncio
import fcntl
import tempfile
from pathlib import Path

import asyncpg

from services.cli import migrations

LOCK_PATH = Path(tempfile.gettempdir()) / "vitals-test-migrations.lock"


async def migrate(
    connection: asyncpg.Connection, directory: Path = migrations.DEFAULT_DIRECTORY
) -> list[migrations.Migration]:
    """`services.cli.migrations.migrate`, while no other test process migrates."""
    with LOCK_PATH.open("a") as lock:
        await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
        try:
            return await migrations.migrate(connection, directory)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
