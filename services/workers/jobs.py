"""RQ job functions, named for what happened. Ingest reaches them by dotted path."""

from __future__ import annotations

from services.workers import runtime


def beacons_received(payload: bytes | str) -> int:
    """Stub until the write path lands: proves the worker can reach its database."""
    rt = runtime.current()

    async def touch() -> int:
        pool = await rt.pool()
        async with pool.acquire() as connection:
            value: int = await connection.fetchval("SELECT 1")
        return value

    return rt.run(touch())
