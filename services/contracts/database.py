"""The asyncpg pool factory every process uses, so timeouts and naming are uniform."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg

from services.contracts.settings import Settings

if TYPE_CHECKING:  # the stubs' generics do not exist at run time
    from asyncpg.pool import PoolConnectionProxy

    # What SQL functions take: a pooled connection (a proxy to asyncpg) or a plain one.
    Connection: TypeAlias = asyncpg.Connection[Any] | PoolConnectionProxy[Any]
else:
    Connection = object

# The query service acts as this role (a startup parameter) after logging in as
# vitals_query, a member of it alone (migrations/0008): it may only SELECT.
READER_ROLE = "vitals_reader"

Pool = asyncpg.Pool


async def create_pool(
    settings: Settings,
    service: str,
    *,
    read_only: bool = False,
    min_size: int | None = None,
    max_size: int | None = None,
    session_settings: dict[str, str] | None = None,
) -> asyncpg.Pool:
    """`session_settings`: more startup parameters (say, one service's timeouts)."""
    # No JIT: PostgreSQL compiles any statement its planner costs above jit_above_cost,
    # and a lookup over a hypertable's many chunks is costed high while it runs in
    # milliseconds. Compiling took 400-500 ms per execution (a primary-key probe over 31
    # chunks: 486 ms with JIT, 13 ms without), and every statement here is short.
    server_settings = {"application_name": f"vitals.{service}", "timezone": "UTC", "jit": "off"}
    server_settings |= session_settings or {}
    if read_only:
        # Startup parameters, not SET: they become the session's defaults, so the pool's
        # RESET ALL on release keeps them (RESET ROLE only returns to the read-only login).
        server_settings |= {"role": READER_ROLE, "default_transaction_read_only": "on"}
    pool = await asyncpg.create_pool(
        settings.database_url,
        min_size=settings.db_pool_min if min_size is None else min_size,
        max_size=settings.db_pool_max if max_size is None else max_size,
        command_timeout=settings.db_command_timeout_s,
        timeout=settings.db_acquire_timeout_s,
        server_settings=server_settings,
    )
    assert pool is not None
    return pool


async def ping(pool: asyncpg.Pool, timeout_s: float) -> None:
    async with pool.acquire(timeout=timeout_s) as connection:
        await connection.fetchval("SELECT 1", timeout=timeout_s)
