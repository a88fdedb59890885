"""The queue Redis dies while browsers keep sending.

Ingest refuses with 503 and Retry-After (never 500, never a 202 it cannot keep), takes
beacons again once Redis is back from its AOF without being restarted, and every beacon
it acknowledged is stored. Both ways Redis can go are covered: SIGTERM (Redis writes and
fsyncs its AOF on the way out) and SIGKILL (no goodbye). With `appendfsync everysec` a
SIGKILL still loses no acknowledged write: Redis write(2)s its AOF buffer before it sends
the replies of the commands in it, and the kernel keeps written pages when a process
dies; the second of fsync lag only matters when the machine itself goes down. The gap
left is a write Redis postpones while a slow background fsync runs (INFO's
aof_delayed_fsync counts those), which the test prints.

The workers are a separate case: they must ride out the outage too, including while a
batch is in their hands.
"""

from __future__ import annotations

import asyncio
import signal
import time

import asyncpg
import pytest
import redis

from services.contracts.settings import Settings
from tests.e2e.ledger import ACCEPTED, Ledger, assert_stored_as_accepted
from tests.e2e.stack import (
    Stack,
    drain,
    eventually,
    lock_waiters,
    open_project,
    worker_outcomes,
)
from tests.e2e.traffic import Traffic
from tests.support.processes import RedisServer

DOWN_S = 3.0
# A 202 can still arrive this long after Redis died: acknowledged by Redis just before,
# answered by a busy ingest just after.
IN_FLIGHT_S = 1.0


def delayed_fsyncs(server: RedisServer) -> int:
    client = redis.Redis.from_url(server.url)
    try:
        return int(client.info("persistence")["aof_delayed_fsync"])
    finally:
        client.close()


async def accepted_since(ledger: Ledger, index: int, count: int) -> bool:
    return sum(a.status == ACCEPTED for a in ledger.answers[index:]) >= count


class TestRedisDies:
    @pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["sigkill", "sigterm"])
    async def test_ingest_refuses_while_down_and_every_acknowledged_beacon_survives(
        self,
        how: signal.Signals,
        stack: Stack,
        stack_settings: Settings,
        private_redis: RedisServer,
        db: asyncpg.Connection,
    ) -> None:
        """Redis killed under traffic: 503 with Retry-After while it is down, 202 again from the same ingest process once Redis restarts from its AOF, and every acknowledged report is stored once, with exact rollups, by workers started afterwards."""
        project_id, key = await open_project(db, stack_settings, "shop")
        stack.start()  # ingest only: what Redis kept is drained by workers started later
        ingest_pid = stack.ingest.process.pid
        traffic = Traffic(stack.ingest.url, {project_id: key}, seed=int(how))
        ledger = traffic.ledger
        stop = asyncio.Event()
        sender = asyncio.create_task(traffic.until(stop, concurrency=4))
        try:
            await eventually(lambda: accepted_since(ledger, 0, 100), 30, "100 beacons accepted")
            delayed = delayed_fsyncs(private_redis)
            private_redis.stop(how)
            died_at = time.monotonic()
            await asyncio.sleep(DOWN_S)
            private_redis.start()
            back_at, restarted = time.monotonic(), len(ledger.answers)
            await eventually(lambda: accepted_since(ledger, restarted, 50), 30, "202s again")
        finally:
            stop.set()
            await sender
            await traffic.aclose()

        assert set(ledger.statuses) <= {ACCEPTED, 503}, ledger.statuses
        refusals = [a for a in ledger.answers if a.status == 503]
        assert all(a.error == "queue_unavailable" and a.retry_after for a in refusals)
        down = [a for a in ledger.answers if died_at + IN_FLIGHT_S < a.at < back_at]
        assert down and all(a.status == 503 for a in down), "a 202 while Redis was down"
        assert stack.ingest.process.poll() is None and stack.ingest.process.pid == ingest_pid

        workers = [stack.start_worker("a"), stack.start_worker("b")]
        await drain(stack_settings, timeout_s=30)
        verdict = await assert_stored_as_accepted(db, ledger)
        assert worker_outcomes(workers)["failed"] == 0
        print(
            f"\nredis {how.name}: answers {dict(ledger.statuses)}, {verdict},"
            f" aof_delayed_fsync before the kill: {delayed}"
        )

    async def test_workers_holding_batches_ride_out_the_outage(
        self,
        stack: Stack,
        stack_settings: Settings,
        private_redis: RedisServer,
        db: asyncpg.Connection,
    ) -> None:
        """Redis SIGKILLed while both workers are inside a batch's transaction: the workers stay up, and once Redis is back every accepted report is stored once, with exact rollups, without restarting anything."""
        project_id, key = await open_project(db, stack_settings, "shop")
        workers = stack.start("a", "b")
        traffic = Traffic(stack.ingest.url, {project_id: key}, seed=7)
        blocker = await asyncpg.connect(stack_settings.database_url)
        try:
            # Both workers stop at their last statement (the daily rollup), mid-batch.
            await blocker.execute("BEGIN; LOCK TABLE vitals_daily IN SHARE MODE")
            while await lock_waiters(db) < 2:
                await traffic.page_view(project_id)
                await asyncio.sleep(0.2)
            private_redis.stop(signal.SIGKILL)
            await blocker.execute("ROLLBACK")  # the batches commit while Redis is gone
            await asyncio.sleep(DOWN_S)
            private_redis.start()
            await traffic.page_views(20, concurrency=2)
        finally:
            await blocker.close()
            await traffic.aclose()

        died = [str(w.log_path) for w in workers if w.process.poll() is not None]
        assert not died, f"{len(died)} of 2 workers exited with Redis; their logs: {died}"
        await drain(stack_settings, timeout_s=45)
        await assert_stored_as_accepted(db, traffic.ledger)
        assert worker_outcomes(workers)["failed"] == 0
