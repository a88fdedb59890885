"""A hot standby of a private PostgreSQL cluster, streaming from it on this machine.

`pg_basebackup -R` copies the primary (tests/support/postgres.py) into a temporary
directory and writes `standby.signal` and `primary_conninfo`; the copy then runs with the
same binaries on a port of its own and replays the primary's WAL as it streams in. The
primary needs nothing added: initdb's defaults already give `wal_level = replica`, ten
WAL senders and a `host replication all 127.0.0.1/32` line (trusted, with --auth=trust).
The shared local servers are never touched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg

from tests.support.postgres import OWNER, START_TIMEOUT_S, PostgresServer

# Same as postgres.CONFIG's port line; appended last, it wins over the primary's copy.
PORT_LINE = "\nport = {port}\n"
StandbyCheck = Callable[[asyncpg.Connection], Awaitable[bool]]


class StandbyServer(PostgresServer):
    def __init__(self, primary: PostgresServer) -> None:
        super().__init__()
        self.primary = primary

    def init(self) -> StandbyServer:
        """The primary's base backup, streamed, set up to follow it."""
        self._run(
            "pg_basebackup", "-D", str(self.data), "-h", "127.0.0.1", "-p", str(self.primary.port),
            "-U", OWNER, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync",
        )  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(PORT_LINE.format(port=self.port))
        return self

    async def wait_streaming(self) -> None:
        """Until the standby's WAL receiver streams from the primary."""

        async def streaming(standby: asyncpg.Connection) -> bool:
            status = await standby.fetchval("SELECT status FROM pg_stat_wal_receiver")
            return bool(status == "streaming")

        await self._poll(streaming, "the standby to stream from its primary")

    async def wait_replayed(self) -> None:
        """Until the standby has replayed everything the primary had written when called."""
        primary = await asyncpg.connect(self.primary.url())
        try:
            target = await primary.fetchval("SELECT pg_current_wal_lsn()")
        finally:
            await primary.close()

        async def replayed(standby: asyncpg.Connection) -> bool:
            done: bool = await standby.fetchval("SELECT pg_last_wal_replay_lsn() >= $1", target)
            return done

        await self._poll(replayed, f"the standby to replay up to {target}")

    async def pause_replay(self) -> None:
        await self._superuser("SELECT pg_wal_replay_pause()")

    async def resume_replay(self) -> None:
        await self._superuser("SELECT pg_wal_replay_resume()")

    async def _superuser(self, statement: str) -> None:
        standby = await asyncpg.connect(self.url())
        try:
            await standby.execute(statement)
        finally:
            await standby.close()

    async def _poll(self, done: StandbyCheck, what: str) -> None:
        standby = await asyncpg.connect(self.url())
        try:
            deadline = asyncio.get_running_loop().time() + START_TIMEOUT_S
            while not await done(standby):
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"timed out waiting for {what}:\n{self.log_tail()}")
                await asyncio.sleep(0.02)
        finally:
            await standby.close()
