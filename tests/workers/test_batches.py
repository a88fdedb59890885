"""A batch whose data PostgreSQL refuses is bisected: only the guilty beacons are parked."""

from __future__ import annotations

import asyncpg
import msgspec
import pytest

from services.contracts.queue import AcceptedBeacon
from services.contracts.settings import Settings
from tests.workers.conftest import assert_rollups_exact
from tests.workers.factories import (
    accepted,
    batch,
    beacon,
    create_project,
    page_view,
    report,
    store,
)

NUL = "\x00"


def poisoned(view: AcceptedBeacon) -> AcceptedBeacon:
    """The page view with a NUL in its navigation id: what an ingest without the NUL check
    let through (PostgreSQL text cannot hold it)."""
    return msgspec.structs.replace(
        view, beacon=msgspec.structs.replace(view.beacon, navigation_id=f"nav{NUL}1")
    )


async def stored_navigation_ids(db: asyncpg.Connection) -> set[str]:
    return {r[0] for r in await db.fetch("SELECT DISTINCT navigation_id FROM vitals")}


class TestBisection:
    async def test_one_guilty_beacon_is_parked_and_every_other_stored(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """A NUL in one of eight page views of three projects parks that beacon alone with its reason; the other 35 reports are stored and the rollups stay exact."""
        projects = [await create_project(db, slug) for slug in ("shop", "blog", "docs")]
        views = [page_view(projects[i % 3], lcp=1000 + i) for i in range(8)]
        guilty = poisoned(views[5])
        outcome = await store(pool, batch(*views[:5], guilty, *views[6:]))
        assert [(p.accepted, p.reason) for p in outcome.parked] == [
            (guilty, "CharacterNotInRepertoireError")
        ]
        assert "0x00" in outcome.parked[0].detail
        assert (outcome.stored, outcome.duplicate, outcome.parked_reports()) == (
            35,
            0,
            {"CharacterNotInRepertoireError": 5},
        )
        assert await db.fetchval("SELECT count(*) FROM vitals") == 35
        assert await db.fetchval("SELECT count(DISTINCT project_id) FROM vitals") == 3
        await assert_rollups_exact(db)

    async def test_guilty_beacons_in_both_halves_are_each_isolated(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """The first and the last of seven beacons are guilty: both are parked, the five between are stored once."""
        project = await create_project(db)
        views = [page_view(project, lcp=1000 + i) for i in range(7)]
        first, last = poisoned(views[0]), poisoned(views[6])
        outcome = await store(pool, batch(first, *views[1:6], last))
        assert [p.accepted for p in outcome.parked] == [first, last]
        assert outcome.stored == 25
        assert await db.fetchval("SELECT count(*) FROM vitals") == 25
        await assert_rollups_exact(db)

    async def test_rerun_after_parking_stores_nothing_twice(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """Running the same batch again (RQ's retry, an operator's re-run) finds the innocent reports stored and parks the guilty beacon again."""
        project = await create_project(db)
        views = [page_view(project, lcp=1000 + i) for i in range(4)]
        b = batch(views[0], poisoned(views[1]), *views[2:])
        await store(pool, b)
        again = await store(pool, b)
        assert (again.stored, again.replaced, again.duplicate, len(again.parked)) == (0, 0, 15, 1)
        assert await db.fetchval("SELECT count(*) FROM vitals") == 15
        await assert_rollups_exact(db)

    async def test_url_an_older_ingest_let_through_is_parked(
        self, pool: asyncpg.Pool, db: asyncpg.Connection
    ) -> None:
        """A URL without a usable host (ingest refuses it now) fails normalisation: its beacon is parked as InvalidUrl and the rest stored."""
        project = await create_project(db)
        bad = accepted(project, beacon(report("LCP", 900), url="https://shop.example:99999/"))
        outcome = await store(pool, batch(bad, page_view(project)))
        assert [(p.accepted, p.reason) for p in outcome.parked] == [(bad, "InvalidUrl")]
        assert (outcome.stored, outcome.dropped) == (5, {})

    async def test_a_transient_error_still_fails_the_job(
        self, settings: Settings, db: asyncpg.Connection
    ) -> None:
        """A lock wait that times out is not the data's fault: the batch raises for RQ to retry, and nothing is parked or stored."""
        project = await create_project(db)
        impatient = await asyncpg.create_pool(
            settings.database_url, min_size=0, max_size=2, server_settings={"lock_timeout": "200"}
        )
        try:
            async with db.transaction():
                await db.execute("LOCK TABLE pages IN EXCLUSIVE MODE")
                with pytest.raises(asyncpg.LockNotAvailableError):
                    await store(impatient, batch(page_view(project), poisoned(page_view(project))))
        finally:
            await impatient.close()
        assert await db.fetchval("SELECT count(*) FROM vitals") == 0
