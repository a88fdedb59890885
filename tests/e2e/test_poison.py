"""Batches a worker cannot store: parked for an operator, never holding up the others.

tests/workers/test_worker_process.py parks an undecodable job with no traffic around it;
here the poison sits in a queue that ingest keeps feeding, and the operator's CLI lists
and re-runs it against the live system. The second test is a real poison that ingest
lets through today: a NUL character, valid in JSON, impossible in PostgreSQL text. The
last two share a group-committed job with other projects' beacons: a CLS of 1e-300 (valid,
once a bin overflow) is stored with them, and a beacon only an older ingest let through is
parked alone, listed with its project and reason, and retried without looping.
"""

from __future__ import annotations

import asyncio
import json
import re
import time

import asyncpg
import msgspec
from rq import Queue, Retry
from rq.serializers import JSONSerializer

from services.contracts.metrics import ZERO_BIN, Metric
from services.contracts.queue import (
    BEACON_PARKED,
    QUEUE_NAME,
    AcceptedBeacon,
    BeaconBatch,
    decode_batch,
    encode_batch,
)
from services.contracts.redis_client import sync_redis
from services.contracts.settings import Settings
from tests.e2e.ledger import ACCEPTED, assert_stored_as_accepted, keys_of
from tests.e2e.stack import (
    Stack,
    drain,
    eventually,
    open_project,
    queue_state,
    total,
    vitals_cli,
    worker_outcomes,
)
from tests.e2e.traffic import Traffic
from tests.support.processes import ServiceProcess
from tests.workers.factories import enqueue_like_ingest

FAILED_BATCHES = "vitals_worker_batches_total"
# Retries shortened from ingest's 1+5+15+60+300 s, so the poison is parked within seconds.
SHORT_RETRY = Retry(max=2, interval=1)
NUL = "\x00"


def from_a_newer_ingest(project_id: int, traffic: Traffic) -> str:
    """A batch as ingest writes it, but with a metric this version does not know (what a
    newer ingest, deployed before the workers, could send): it cannot be decoded."""
    accepted = AcceptedBeacon(project_id=project_id, received_at=0, beacon=traffic.new_beacon())
    batch = json.loads(encode_batch(BeaconBatch(beacons=[accepted])))
    batch["beacons"][0]["beacon"]["reports"][0]["name"] = "FID"
    return json.dumps(batch)


class TestPoisonBatch:
    async def test_parked_after_its_retries_while_traffic_flows_and_rerun_by_the_cli(
        self, stack: Stack, stack_settings: Settings, db: asyncpg.Connection
    ) -> None:
        """A batch no worker can read is retried, parked in the failed registry and counted while ingest traffic before and after it is stored; `vitals jobs failed` lists it and `vitals jobs retry-failed` runs it once more (Retry shortened to 2 × 1 s)."""
        project_id, key = await open_project(db, stack_settings, "shop")
        workers = stack.start("a", "b")
        traffic = Traffic(stack.ingest.url, {project_id: key}, seed=5)

        async def failed_batches(count: int) -> bool:
            return total(workers, FAILED_BATCHES, outcome="failed") == count

        try:
            await traffic.page_views(10, concurrency=2)
            poison = enqueue_like_ingest(
                stack_settings, from_a_newer_ingest(project_id, traffic), SHORT_RETRY
            )
            await traffic.page_views(20, concurrency=2)
            await eventually(lambda: failed_batches(1), 20, "the poison to be parked")
            await drain(stack_settings)
            assert (await queue_state(stack_settings)).failed == 1
            await assert_stored_as_accepted(db, traffic.ledger)

            (listed,) = json.loads(vitals_cli(stack_settings, "jobs", "failed"))
            assert (listed["id"], listed["beacons"]) == (poison.id, None)  # None: undecodable
            assert "FID" in listed["error"]
            assert "requeued 1 failed job(s)" in vitals_cli(stack_settings, "jobs", "retry-failed")
            await eventually(lambda: failed_batches(2), 20, "the re-run to fail again")
            await traffic.page_views(10, concurrency=2)
        finally:
            await traffic.aclose()

        await drain(stack_settings)
        assert (await queue_state(stack_settings)).failed == 1  # back where the operator left it
        await assert_stored_as_accepted(db, traffic.ledger)
        assert worker_outcomes(workers)["failed"] == 0  # the poison held no readable report


class TestNulCharacter:
    async def test_one_beacon_postgres_cannot_store_costs_no_other_beacon_its_data(
        self, stack: Stack, stack_settings: Settings, db: asyncpg.Connection
    ) -> None:
        """A beacon with a NUL character in a string (valid JSON, impossible in PostgreSQL text) is refused by ingest, or stored or dropped by the workers, but never fails the group-committed batch it shares with other browsers' beacons."""
        project_id, key = await open_project(db, stack_settings, "shop")
        stack.start()  # ingest alone, so the batches can be inspected before a worker runs
        traffic = Traffic(stack.ingest.url, {project_id: key}, seed=6)
        poisoned = msgspec.structs.replace(traffic.new_beacon(), navigation_id=f"nav{NUL}1")
        others = [traffic.new_beacon() for _ in range(20)]
        try:
            answers = await asyncio.gather(
                *(traffic.post(project_id, b) for b in others[:10]),
                traffic.post(project_id, poisoned, record=False),
                *(traffic.post(project_id, b) for b in others[10:]),
            )
        finally:
            await traffic.aclose()
        assert {a.status for a in answers} <= {ACCEPTED, 400}
        assert traffic.ledger.statuses == {ACCEPTED: len(others)}
        if answers[10].status == ACCEPTED:
            # The test means something only if the poisoned beacon shares its job.
            neighbours = _neighbours_of(stack_settings, poisoned.navigation_id)
            assert neighbours > 0, "the poisoned beacon got a job of its own; rerun"
        else:
            assert answers[10].error == "invalid_beacon"

        worker = stack.start_worker("a")
        accepted = traffic.ledger.accepted_keys()

        async def others_stored() -> bool:
            rows = await db.fetch("SELECT project_id, time, metric_id FROM vitals")
            return accepted <= {tuple(r) for r in rows}

        try:
            await eventually(others_stored, 20, "the other beacons to be stored")
        except AssertionError as exc:
            stored = await db.fetchval("SELECT count(*) FROM vitals")
            raise AssertionError(
                f"{len(accepted) - stored} of {len(accepted)} accepted reports from other"
                f" beacons not stored: their batch fails with {_errors(worker)}"
            ) from exc
        await drain(stack_settings)
        assert (await queue_state(stack_settings)).failed == 0
        await assert_stored_as_accepted(db, traffic.ledger, besides=keys_of(project_id, poisoned))


class TestTinyValue:
    async def test_a_cls_of_1e_minus_300_is_stored_with_other_projects_beacons(
        self, stack: Stack, stack_settings: Settings, db: asyncpg.Connection
    ) -> None:
        """A CLS of 1e-300 (its log bin once overflowed smallint and failed the whole job) shares a group-committed job with another project's beacons: all are stored, the CLS with its exact value in the zero bin, and no job fails or is parked."""
        shop, shop_key = await open_project(db, stack_settings, "shop")
        blog, blog_key = await open_project(db, stack_settings, "blog")
        stack.start()  # ingest alone, so the batches can be inspected before a worker runs
        traffic = Traffic(stack.ingest.url, {shop: shop_key, blog: blog_key}, seed=7)
        fresh = traffic.new_beacon()
        tiny = msgspec.structs.replace(
            fresh,
            navigation_id="tiny-cls",
            reports=[
                msgspec.structs.replace(r, value=1e-300, delta=1e-300) if r.name == "CLS" else r
                for r in fresh.reports
            ],
        )
        others = [traffic.new_beacon() for _ in range(20)]
        try:
            answers = await asyncio.gather(
                *(traffic.post(blog, b) for b in others[:10]),
                traffic.post(shop, tiny),
                *(traffic.post(blog, b) for b in others[10:]),
            )
        finally:
            await traffic.aclose()
        assert {a.status for a in answers} == {ACCEPTED}
        assert _neighbours_of(stack_settings, "tiny-cls") > 0, "no shared job; rerun"

        workers = [stack.start_worker("a")]
        assert (await drain(stack_settings)).failed == 0
        await assert_stored_as_accepted(db, traffic.ledger)
        row = await db.fetchrow(
            "SELECT value, bin FROM vitals WHERE project_id = $1 AND metric = $2", shop, Metric.CLS
        )
        assert (row["value"], row["bin"]) == (1e-300, ZERO_BIN)
        assert total(workers, "vitals_worker_reports_total", outcome="parked") == 0


class TestGuiltyBeacon:
    async def test_parked_alone_with_its_reason_and_retried_without_looping(
        self, stack: Stack, stack_settings: Settings, db: asyncpg.Connection
    ) -> None:
        """A beacon PostgreSQL cannot store (a NUL an older ingest let through) in a group job with two other projects' beacons: they are stored, it alone is parked and counted, `vitals jobs failed` names its project and reason, and `retry-failed` runs it once and leaves it parked."""
        ids = [(await open_project(db, stack_settings, slug))[0] for slug in ("a", "b", "c")]
        workers = stack.start("a")
        traffic = Traffic(stack.ingest.url, {}, seed=8)
        await traffic.aclose()
        now = time.time() * 1000
        innocent = [
            AcceptedBeacon(project_id=p, received_at=now, beacon=traffic.new_beacon())
            for p in (ids[1], ids[2], ids[1])
        ]
        guilty = AcceptedBeacon(
            project_id=ids[0],
            received_at=now,
            beacon=msgspec.structs.replace(traffic.new_beacon(), navigation_id=f"nav{NUL}"),
        )
        beacons = [*innocent[:2], guilty, innocent[2]]
        enqueue_like_ingest(stack_settings, encode_batch(BeaconBatch(beacons=beacons)).decode())
        assert (await drain(stack_settings)).failed == 1
        stored = {
            tuple(r) for r in await db.fetch("SELECT project_id, time, metric_id FROM vitals")
        }
        assert stored == set().union(*(keys_of(b.project_id, b.beacon) for b in innocent))
        assert total(workers, "vitals_worker_reports_total", outcome="parked") == 5

        (listed,) = json.loads(vitals_cli(stack_settings, "jobs", "failed"))
        assert (listed["function"], listed["projects"], listed["reason"]) == (
            BEACON_PARKED,
            [ids[0]],
            "CharacterNotInRepertoireError",
        )
        assert "requeued 1 failed job(s)" in vitals_cli(stack_settings, "jobs", "retry-failed")
        await eventually(lambda: _ran_once_more(workers), 20, "the parked beacon's re-run")
        assert (await drain(stack_settings)).failed == 1
        (again,) = json.loads(vitals_cli(stack_settings, "jobs", "failed"))
        assert (again["id"], again["reason"]) == (listed["id"], listed["reason"])
        assert total(workers, FAILED_BATCHES, outcome="failed") == 0  # no batch was lost


async def _ran_once_more(workers: list[ServiceProcess]) -> bool:
    return "GuiltyBeacon" in workers[0].log_path.read_text(errors="replace")


def _neighbours_of(settings: Settings, navigation_id: str) -> int:
    """How many other beacons are in the queued job holding this page view's beacon."""
    queue = Queue(QUEUE_NAME, connection=sync_redis(settings), serializer=JSONSerializer)
    for job in queue.jobs:
        beacons = decode_batch(job.args[0]).beacons
        if any(b.beacon.navigation_id == navigation_id for b in beacons):
            return len(beacons) - 1
    raise AssertionError("no queued job holds the poisoned beacon")


def _errors(worker: ServiceProcess) -> set[str]:
    """The exceptions a worker logged (their last line), e.g. for a batch it retries."""
    lines = worker.log_path.read_text(errors="replace").splitlines()
    return {line for line in lines if re.match(r"[\w.]+(Error|Exception): ", line)}
