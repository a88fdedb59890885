"""Faults that cost seconds, not the service: a stalled worker, PostgreSQL down, Redis full.

Each test runs real processes under steady traffic, injects one fault, lifts it, and
checks that every acknowledged report is stored exactly once with exact rollups and
that nothing reached the failed registry. The recovery figures are printed; only a
generous liveness bound is asserted (the machine is shared and noisy).
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable

import asyncpg
import httpx
import msgspec
import redis

from services.contracts.settings import Settings
from tests.e2e.ledger import ACCEPTED, Ledger, assert_stored_as_accepted
from tests.e2e.stack import (
    Stack,
    drain,
    eventually,
    lock_waiters,
    open_project,
    queue_state,
)
from tests.e2e.traffic import Traffic
from tests.support.ops import OPS_HEADERS
from tests.support.postgres import PostgresServer
from tests.support.processes import RedisServer, ServiceProcess

HOLD_DAILY_ROLLUP = "BEGIN; LOCK TABLE vitals_daily IN SHARE MODE"
LIVENESS_S = 90.0  # generous: the lease (15 s) and the session timeouts (10 s) fit many times


async def stored_rows(url: str) -> int:
    try:
        connection = await asyncpg.connect(url, timeout=2)
    except (OSError, asyncpg.PostgresError):
        return -1
    try:
        count: int = await connection.fetchval("SELECT count(*) FROM vitals")
        return count
    finally:
        await connection.close()


async def grows(read: Callable[[], Awaitable[int]], timeout_s: float, what: str) -> float:
    """Seconds until `read` exceeds its current value."""
    started, before = time.monotonic(), await read()

    async def more() -> bool:
        return await read() > before

    await eventually(more, timeout_s, what)
    return time.monotonic() - started


def ready(worker: ServiceProcess) -> dict[str, object]:
    answer: dict[str, object] = httpx.get(
        worker.url + "/ready", headers=OPS_HEADERS, timeout=5
    ).json()
    return answer


def alive(workers: list[ServiceProcess]) -> None:
    died = [str(w.log_path) for w in workers if w.process.poll() is not None]
    assert not died, f"workers exited; their logs: {died}"


async def with_traffic(traffic: Traffic, fault: Callable[[], Awaitable[None]]) -> None:
    stop = asyncio.Event()
    sender = asyncio.create_task(traffic.until(stop, concurrency=2, pause_s=0.05))
    try:
        await fault()
    finally:
        stop.set()
        await sender


def accepted_after(ledger: Ledger, index: int) -> int:
    return sum(a.status == ACCEPTED for a in ledger.answers[index:])


class TestStalledWorker:
    async def test_a_worker_stopped_mid_transaction_does_not_hold_the_others(
        self, stack: Stack, stack_settings: Settings, db: asyncpg.Connection
    ) -> None:
        """A worker SIGSTOPped inside a batch's transaction (its rollup rows locked) costs seconds: the server ends its session, the other worker goes on storing traffic and re-runs the stalled job once its lease lapses, and after SIGCONT every accepted report is stored once with exact rollups, nothing failed."""
        project_id, key = await open_project(db, stack_settings, "shop")
        (victim,) = stack.start("victim")
        traffic = Traffic(stack.ingest.url, {project_id: key}, seed=12)
        blocker = await asyncpg.connect(stack_settings.database_url)
        try:
            await traffic.page_views(5, concurrency=1)
            await drain(stack_settings)
            await blocker.execute(HOLD_DAILY_ROLLUP)
            assert (await traffic.post(project_id, traffic.new_beacon())).status == ACCEPTED
            await eventually(lambda: _equals(lock_waiters(db), 1), 30, "the victim to block")
            victim.process.send_signal(signal.SIGSTOP)
            await blocker.execute("ROLLBACK")  # the victim's statement ends; it holds its locks
            stack.start_worker("survivor")

            async def fault() -> None:
                stalled_s = await grows(
                    lambda: stored_rows(stack_settings.database_url), LIVENESS_S, "progress"
                )
                await asyncio.sleep(20)  # past the lease: the stalled job re-runs elsewhere
                print(f"\nstalled worker: {stalled_s:.1f} s without a stored report")

            await with_traffic(traffic, fault)
            victim.process.send_signal(signal.SIGCONT)
            started = time.monotonic()
            await drain(stack_settings, timeout_s=LIVENESS_S)
            print(f"stalled worker: drained {time.monotonic() - started:.1f} s after SIGCONT")
        finally:
            victim.process.send_signal(signal.SIGCONT)
            await blocker.close()
            await traffic.aclose()

        await assert_stored_as_accepted(db, traffic.ledger)
        assert (await queue_state(stack_settings)).failed == 0
        alive(stack.workers)


class TestPostgresDown:
    async def test_workers_wait_out_the_outage_without_spending_retries(
        self, stack_settings: Settings, private_postgres: PostgresServer
    ) -> None:
        """PostgreSQL stopped under traffic for longer than the first retries last: the worker holds its batch and waits (no retry scheduled, nothing failed, /ready names the database and since when, one log line for the outage), then drains, every accepted report stored once."""
        url = await private_postgres.create_migrated_database("vitals")
        settings = msgspec.structs.replace(stack_settings, database_url=url)
        db = await asyncpg.connect(url)
        project_id, key = await open_project(db, settings, "shop")
        await db.close()
        stack = Stack(settings)
        traffic: Traffic | None = None
        try:
            (worker,) = stack.start("only")
            traffic = Traffic(stack.ingest.url, {project_id: key}, seed=13)
            scheduled: list[int] = []
            reasons: list[str] = []

            async def fault() -> None:
                await asyncio.sleep(2)
                private_postgres.stop("fast")
                deadline = time.monotonic() + 12  # > 1 + 5 s, the first two retry intervals
                while time.monotonic() < deadline:
                    state = await queue_state(settings)
                    scheduled.append(state.scheduled + state.failed)
                    reasons.append(str(ready(worker).get("reason", "")))
                    await asyncio.sleep(0.5)
                private_postgres.start()
                back_s = await grows(lambda: stored_rows(url), LIVENESS_S, "progress")
                print(f"\npostgres down 12 s: first report stored {back_s:.1f} s after restart")

            await with_traffic(traffic, fault)
            await drain(settings, timeout_s=LIVENESS_S)
            assert max(scheduled) == 0, "a retry was spent on the outage"
            assert any(r.startswith("database unavailable since") for r in reasons), reasons
            after = await asyncpg.connect(url)
            try:
                await assert_stored_as_accepted(after, traffic.ledger)
            finally:
                await after.close()
            log = worker.log_path.read_text()
            assert log.count("dependency_down") == 1 and "dependency_back" in log
            alive([worker])
        finally:
            if traffic is not None:
                await traffic.aclose()
            stack.stop()


class TestRedisFull:
    async def test_workers_survive_a_full_redis_and_resume(
        self,
        stack: Stack,
        stack_settings: Settings,
        private_redis: RedisServer,
        db: asyncpg.Connection,
    ) -> None:
        """The queue Redis at maxmemory under traffic: ingest answers 503 with Retry-After, both workers stay up and say why on /ready, and once the limit is lifted every acknowledged report is stored once."""
        project_id, key = await open_project(db, stack_settings, "shop")
        workers = stack.start("a", "b")
        traffic = Traffic(stack.ingest.url, {project_id: key}, seed=14)
        admin = redis.Redis.from_url(private_redis.url)
        reasons: list[str] = []

        async def fault() -> None:
            await asyncio.sleep(2)
            admin.config_set("maxmemory", 1)  # every write refused: OOM
            full_at, full_since = len(traffic.ledger.answers), time.monotonic()
            # At least 8 s full; longer until a worker has said why: an idle worker blocks
            # in BLMOVE for up to 10 s and meets the refusal only at its next Redis write.
            while time.monotonic() - full_since < 8 or not _said_full(reasons):
                assert time.monotonic() - full_since < LIVENESS_S, "no worker said Redis is full"
                reasons.extend(str(ready(w).get("reason", "")) for w in workers)
                await asyncio.sleep(0.5)
            refused = traffic.ledger.answers[full_at:]
            assert any(a.status == 503 and a.retry_after for a in refused), "no 503 while full"
            admin.config_set("maxmemory", 0)
            lifted, index = time.monotonic(), len(traffic.ledger.answers)
            await eventually(
                lambda: _true(accepted_after(traffic.ledger, index) > 10), 60, "202s again"
            )
            print(f"\nredis full 8 s: 202 again {time.monotonic() - lifted:.1f} s after lifting")

        try:
            await with_traffic(traffic, fault)
        finally:
            admin.config_set("maxmemory", 0)
            admin.close()
            await traffic.aclose()
        alive(workers)
        assert _said_full(reasons), set(reasons)
        await drain(stack_settings, timeout_s=LIVENESS_S)
        await assert_stored_as_accepted(db, traffic.ledger)
        assert (await queue_state(stack_settings)).failed == 0
        alive(workers)


def _said_full(reasons: list[str]) -> bool:
    return any("queue_redis unavailable since" in r for r in reasons)


async def _equals(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


async def _true(value: bool) -> bool:
    return value
