"""Re-reports of one metric id: the latest measurement (the beacon's seq) wins, not the
latest arrival; without seq (older SDKs) the latest arrival wins, as before. Raw rows and
every rollup agree (services/workers/recency.py)."""

from __future__ import annotations

import asyncio
import random

import asyncpg
import msgspec
import pytest

from services.contracts.metrics import Metric, Rating, bin_of
from services.contracts.queue import AcceptedBeacon
from services.contracts.wire import encode
from services.workers.batches import Outcome
from tests.workers.conftest import assert_rollups_exact
from tests.workers.factories import accepted, batch, beacon, create_project, now_ms, report, store


def sent(
    project: int, origin: float, name: str, value: float, *, seq: int, received: float
) -> AcceptedBeacon:
    """One page view's beacon with one report of metric id `<name>-1`, received `received`
    ms after the page view started."""
    return accepted(
        project,
        beacon(report(name, value, f"{name.lower()}-1"), time_origin=origin, seq=seq),
        received_at=origin + received,
    )


async def store_in_order(
    pool: asyncpg.Pool, beacons: list[AcceptedBeacon], *, one_job: bool
) -> list[Outcome]:
    """Each beacon in its own job, in arrival order, or all of them in one job."""
    if one_job:
        return [await store(pool, batch(*beacons))]
    return [await store(pool, batch(b)) for b in beacons]


def delivered_again(b: AcceptedBeacon, received_at: float) -> AcceptedBeacon:
    """The same beacon, delivered again later (the SDK's retry, a network duplicate)."""
    return msgspec.structs.replace(b, received_at=received_at)


async def stored(db: asyncpg.Connection) -> list[tuple[object, ...]]:
    return [tuple(r) for r in await db.fetch("SELECT metric_id, value, seq FROM vitals")]


@pytest.mark.parametrize("one_job", [False, True], ids=["separate_jobs", "one_job"])
class TestLaterMeasurementWins:
    async def test_older_beacon_resent_after_the_rereport_leaves_the_grown_cls(
        self, pool: asyncpg.Pool, db: asyncpg.Connection, one_job: bool
    ) -> None:
        """A page's first beacon (seq 0, CLS 0.05) arriving again after its re-report (seq 1, CLS 0.3) changes nothing: the raw row and every rollup keep 0.3."""
        project = await create_project(db)
        origin = now_ms() - 60_000
        first = sent(project, origin, "CLS", 0.05, seq=0, received=1_000)
        rereport = sent(project, origin, "CLS", 0.3, seq=1, received=9_000)
        resent = delivered_again(first, origin + 20_000)
        outcomes = await store_in_order(pool, [first, rereport, resent], one_job=one_job)
        assert sum(o.duplicate for o in outcomes) == (2 if one_job else 1)
        assert outcomes[-1].replaced == 0
        assert await stored(db) == [("cls-1", 0.3, 1)]
        hourly = await db.fetch("SELECT rating, bin, samples FROM vitals_hourly")
        assert [tuple(r) for r in hourly] == [(Rating.POOR, bin_of(Metric.CLS, 0.3), 1)]
        await assert_rollups_exact(db)

    async def test_inp_that_falls_in_a_later_beacon_replaces_the_higher_one(
        self, pool: asyncpg.Pool, db: asyncpg.Connection, one_job: bool
    ) -> None:
        """An INP re-reported lower (web-vitals' p98 estimate moved) under a higher seq replaces the stored higher value, and a late copy of the older beacon does not bring it back."""
        project = await create_project(db)
        origin = now_ms() - 60_000
        high = sent(project, origin, "INP", 350, seq=0, received=1_000)
        lower = sent(project, origin, "INP", 200, seq=1, received=9_000)
        high_again = delivered_again(high, origin + 20_000)
        await store_in_order(pool, [high, lower, high_again], one_job=one_job)
        assert await stored(db) == [("inp-1", 200, 1)]
        hourly = await db.fetch("SELECT rating, bin, samples FROM vitals_hourly")
        assert [tuple(r) for r in hourly] == [(Rating.GOOD, bin_of(Metric.INP, 200), 1)]
        await assert_rollups_exact(db)

    async def test_without_seq_the_latest_arrival_wins_as_before(
        self, pool: asyncpg.Pool, db: asyncpg.Connection, one_job: bool
    ) -> None:
        """Beacons without seq (older SDKs, other senders) keep the old rule: the later arrival wins even with a smaller value, and one arrival's larger value beats its smaller one."""
        project = await create_project(db)
        origin = now_ms() - 60_000
        beacons = [
            sent(project, origin, "CLS", 0.3, seq=0, received=1_000),
            sent(project, origin, "CLS", 0.02, seq=0, received=9_000),
            sent(project, origin, "CLS", 0.01, seq=0, received=9_000),
        ]
        assert all(b"seq" not in encode(b.beacon) for b in beacons)
        await store_in_order(pool, beacons, one_job=one_job)
        assert await stored(db) == [("cls-1", 0.02, 0)]
        await assert_rollups_exact(db)


class TestRacingReReports:
    async def test_concurrent_batches_keep_the_highest_seq_per_id(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """Eight concurrent batches of one page view's CLS reports with shuffled seqs, arrival times and values leave, per id, the report of the highest (seq, arrival, value), and rollups equal to a recount."""
        rng = random.Random(7)
        project = await create_project(db)
        origin = now_ms() - 60_000
        latest: dict[str, tuple[int, float, float]] = {}
        batches = []
        for _ in range(8):
            beacons = []
            for k in rng.sample(range(150), 100):
                seq, received = rng.randrange(4), origin + rng.randrange(1, 50_000)
                value = round(rng.uniform(0, 0.5), 3)
                metric_id = f"cls-{k}"
                beacons.append(
                    accepted(
                        project,
                        beacon(report("CLS", value, metric_id), time_origin=origin + k, seq=seq),
                        received_at=received,
                    )
                )
                latest[metric_id] = max(
                    latest.get(metric_id, (0, 0.0, 0.0)), (seq, received, value)
                )
            batches.append(batch(*beacons))
        await asyncio.gather(*(store(pool, b) for b in batches))
        rows = {
            r["metric_id"]: (r["seq"], r["value"]) for r in await db.fetch("SELECT * FROM vitals")
        }
        assert rows == {k: (seq, value) for k, (seq, _, value) in latest.items()}
        await assert_rollups_exact(db)
