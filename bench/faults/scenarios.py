"""The faults of issue 12, one function each: inject, hold, lift; when, on the wall clock.

A kill is over the moment it lands (what follows is recovery: the supervisor restarts
the child, the queue re-runs its job), so its fault ends when it starts. A stop, outage
or full Redis ends when it is lifted.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import msgspec
import redis

from bench.faults.stack import SupervisedStack
from bench.faults.world import PrivateServers

RESTART_WAIT_S = 120.0  # the supervisor's backoff starts at 0.5 s; imports take seconds


class Fault(msgspec.Struct):
    started_at: float = 0.0
    ended_at: float = 0.0
    notes: dict[str, float] = msgspec.field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    """What a scenario may break, and for how long it holds the fault."""

    stack: SupervisedStack
    servers: PrivateServers
    hold_s: float


Scenario = Callable[[Target], Awaitable[Fault]]


async def no_fault(target: Target) -> Fault:
    """The control: the same load, nothing broken. Its drain_s is how far behind the
    workers run on this machine at this load anyway, to read the others' against."""
    now = time.time()
    return Fault(started_at=now, ended_at=now)


async def worker_kill9(target: Target) -> Fault:
    return await _kill(target, "worker-0", signal.SIGKILL)


async def ingest_sigterm(target: Target) -> Fault:
    return await _kill(target, "ingest", signal.SIGTERM)


async def ingest_kill9(target: Target) -> Fault:
    return await _kill(target, "ingest", signal.SIGKILL)


async def worker_sigstop(target: Target) -> Fault:
    fault = Fault(started_at=time.time())
    target.stack.signal("worker-0", signal.SIGSTOP)
    await asyncio.sleep(target.hold_s)
    target.stack.signal("worker-0", signal.SIGCONT)
    fault.ended_at = time.time()
    return fault


async def postgres_outage(target: Target) -> Fault:
    postgres = target.servers.postgres
    fault = Fault(started_at=time.time())
    await asyncio.to_thread(postgres.stop, "fast")
    await asyncio.sleep(target.hold_s)
    await asyncio.to_thread(postgres.start)
    fault.ended_at = time.time()
    return fault


async def redis_full(target: Target) -> Fault:
    """maxmemory at half the memory Redis uses: every write refused (noeviction), however
    much the workers free meanwhile, until the limit is lifted."""
    admin = redis.Redis.from_url(target.servers.redis.url)
    try:
        used = int(admin.info("memory")["used_memory"])
        fault = Fault(started_at=time.time(), notes={"maxmemory_bytes": used // 2})
        admin.config_set("maxmemory", used // 2)
        await asyncio.sleep(target.hold_s)
        admin.config_set("maxmemory", 0)
        fault.ended_at = time.time()
    finally:
        admin.config_set("maxmemory", 0)
        admin.close()
    return fault


async def redis_restart(target: Target) -> Fault:
    """Redis killed (SIGKILL; AOF everysec) and started again on its files after `hold_s`."""
    server = target.servers.redis
    fault = Fault(started_at=time.time())
    await asyncio.to_thread(server.stop, signal.SIGKILL)
    await asyncio.sleep(target.hold_s)
    await asyncio.to_thread(server.start)
    fault.ended_at = time.time()
    return fault


async def _kill(target: Target, name: str, sig: signal.Signals) -> Fault:
    """The signal, then the supervisor's restart timed (a figure, not part of the fault)."""
    stack = target.stack
    fault = Fault(started_at=time.time())
    pid = stack.signal(name, sig)
    fault.ended_at = fault.started_at
    deadline = time.monotonic() + RESTART_WAIT_S
    while not await asyncio.to_thread(stack.restarted_since, name, pid):
        if time.monotonic() > deadline:
            return fault  # no `restarted_after_s`: the report shows it never came back
        await asyncio.sleep(0.1)
    fault.notes["restarted_after_s"] = round(time.time() - fault.started_at, 1)
    return fault


SCENARIOS: dict[str, Scenario] = {
    "no_fault": no_fault,
    "worker_kill9": worker_kill9,
    "worker_sigstop": worker_sigstop,
    "ingest_sigterm": ingest_sigterm,
    "ingest_kill9": ingest_kill9,
    "postgres_outage": postgres_outage,
    "redis_full": redis_full,
    "redis_restart": redis_restart,
}
