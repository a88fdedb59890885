"""A starting batch job lingering for company (services/workers/gathering.py): it waits for
enough beacons to be queued, never longer than the linger, never when enough already wait
or when it is re-run with what it had claimed; and a worker killed while it lingers loses
and doubles nothing.

The waits asserted are bounds the code cannot meet by accident: a linger of a minute that
ends in seconds ended because the beacons were there, not because time ran out.
"""

from __future__ import annotations

import signal
import threading
import time

import asyncpg
import msgspec
import pytest
from rq.job import Job

from services.contracts.redis_client import sync_redis
from services.contracts.settings import Settings
from services.workers import gathering
from services.workers.absorption import ABSORBED_KEY, MAX_CLAIMED_JOBS, claim
from tests.support.processes import ServiceProcess
from tests.workers.conftest import assert_rollups_exact
from tests.workers.factories import batch, create_project, enqueue_like_ingest, page_view, payload
from tests.workers.test_absorption import (
    ABSORBED,
    PROCESSED,
    beacons_queue,
    queued_ids,
)
from tests.workers.test_worker_process import (
    equals,
    eventually,
    holds,
    metric,
    registries,
    rows,
    start_worker,
)

pytestmark = pytest.mark.usefixtures("quiet_redis")

LONG_LINGER_S = 60.0
LINGERED = "vitals_worker_linger_seconds_count"


def linger(
    settings: Settings,
    *,
    own: int,
    linger_s: float,
    gather: int,
    owner: str = "o",
    max_jobs: int = MAX_CLAIMED_JOBS,
) -> float:
    return gathering.linger(
        beacons_queue(settings),
        ABSORBED_KEY.format(owner=owner),
        max_jobs=max_jobs,
        own_beacons=own,
        linger_s=linger_s,
        gather_beacons=gather,
    )


def enqueue_beacons(settings: Settings, count: int) -> Job:
    return enqueue_like_ingest(settings, payload(batch(*(page_view(1) for _ in range(count)))))


class TestLinger:
    async def test_an_empty_queue_is_waited_on_for_the_whole_linger(
        self, settings: Settings
    ) -> None:
        assert linger(settings, own=1, linger_s=0.3, gather=400) >= 0.3

    async def test_no_wait_when_enough_beacons_already_wait(self, settings: Settings) -> None:
        """The owner's beacons count too: 1 + 2 + 3 reach a target of 6 at once."""
        enqueue_beacons(settings, 2)
        enqueue_beacons(settings, 3)
        assert linger(settings, own=1, linger_s=LONG_LINGER_S, gather=6) < LONG_LINGER_S / 2
        assert linger(settings, own=6, linger_s=LONG_LINGER_S, gather=6) < LONG_LINGER_S / 2

    async def test_no_wait_when_the_claim_would_be_full_by_its_count_of_jobs(
        self, settings: Settings
    ) -> None:
        """A backlog of small jobs: as many as one claim takes already wait, so waiting for
        more beacons would only slow the drain."""
        for _ in range(3):
            enqueue_beacons(settings, 1)
        assert (
            linger(settings, own=1, linger_s=LONG_LINGER_S, gather=400, max_jobs=3)
            < LONG_LINGER_S / 2
        )

    async def test_the_wait_ends_when_enough_beacons_arrive(self, settings: Settings) -> None:
        arrivals = threading.Timer(0.3, lambda: [enqueue_beacons(settings, 2) for _ in range(2)])
        arrivals.start()
        try:
            waited = linger(settings, own=1, linger_s=LONG_LINGER_S, gather=5)
        finally:
            arrivals.join()
        assert 0.3 <= waited < LONG_LINGER_S / 2

    async def test_a_rerun_owner_holding_its_list_does_not_wait(self, settings: Settings) -> None:
        enqueue_beacons(settings, 1)
        claim(beacons_queue(settings), "owner")  # the list a killed run left behind
        assert linger(settings, own=1, linger_s=LONG_LINGER_S, gather=400, owner="owner") < 1

    async def test_a_linger_of_zero_turns_it_off(self, settings: Settings) -> None:
        assert linger(settings, own=1, linger_s=0, gather=400) < 1


class TestLingeringWorker:
    async def test_jobs_queued_while_the_first_lingers_share_its_transaction(
        self, settings: Settings, db: asyncpg.Connection
    ) -> None:
        """A worker gathering 4 beacons starts a 1-beacon job, waits, and stores the three
        1-beacon jobs queued meanwhile in the same transaction, as soon as they are there."""
        project = await create_project(db)
        tuned = msgspec.structs.replace(
            settings, worker_linger_s=LONG_LINGER_S, worker_gather_beacons=4
        )
        enqueue_like_ingest(settings, payload(batch(page_view(project))))
        worker = start_worker(tuned, "gatherer")
        try:
            await eventually(
                lambda: holds(queued_ids(settings) == []), 30, "the first job to start"
            )
            for _ in range(3):
                enqueue_like_ingest(settings, payload(batch(page_view(project))))
            await eventually(lambda: equals(rows(db), 20), 30, "all four jobs' reports")
            await assert_rollups_exact(db)
            assert (metric(worker, PROCESSED), metric(worker, ABSORBED)) == (1, 3)
            assert metric(worker, LINGERED) == 1
        finally:
            worker.stop()

    async def test_a_worker_killed_while_it_lingers_loses_and_doubles_nothing(
        self, settings: Settings, db: asyncpg.Connection
    ) -> None:
        """SIGKILL while the owner waits for company: it had claimed nothing, so the jobs
        queued meanwhile are stored by another worker, and the owner re-runs after its lease
        and is stored once."""
        project = await create_project(db)
        owner = enqueue_like_ingest(settings, payload(batch(page_view(project))))
        victim = start_worker(
            msgspec.structs.replace(settings, worker_linger_s=LONG_LINGER_S), "lingerer"
        )
        survivor: ServiceProcess | None = None
        try:
            await eventually(lambda: holds(queued_ids(settings) == []), 30, "the owner to start")
            later = [
                enqueue_like_ingest(settings, payload(batch(page_view(project)))) for _ in range(2)
            ]
            time.sleep(0.5)  # inside the linger: the later jobs stay queued, nothing stored
            assert queued_ids(settings) == [job.id for job in later]
            assert await rows(db) == 0

            victim.stop(signal.SIGKILL)
            survivor = start_worker(settings, "survivor")
            await eventually(lambda: equals(rows(db), 15), 90, "the owner to re-run")
            await assert_rollups_exact(db)
            connection = sync_redis(settings)
            await eventually(
                lambda: holds(not any(Job.exists(j.id, connection) for j in [owner, *later])),
                15,
                "every job to finish",
            )
            started, failed = registries(settings)
            assert (started.count, failed.count) == (0, 0)
        finally:
            victim.stop(signal.SIGKILL)
            if survivor is not None:
                survivor.stop()
