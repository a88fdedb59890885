"""End to end through the real ingest app, Redis queue and job function: a page's first
beacon delivered again after its re-report (golden files full.json, then cls-rereport.json
with seq 1) leaves the re-report's values in the raw rows and the rollups."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from services.contracts.settings import Settings
from services.contracts.wire import MAX_SEQ
from tests.ingest.conftest import post_beacon
from tests.wire.test_hostile_beacons import rig, run_queued_jobs
from tests.workers.conftest import assert_rollups_exact

__all__ = ["rig"]  # the fixture, used by name

VALID = Path(__file__).parent / "v1" / "valid"


def golden(name: str, time_origin: float) -> dict[str, Any]:
    """A valid golden beacon, moved into ingest's accepted time window."""
    body: dict[str, Any] = json.loads((VALID / name).read_text())
    body["timeOrigin"] = time_origin
    return body


class TestResentBeacon:
    @pytest.mark.parametrize("jobs_between", [True, False], ids=["job_each", "jobs_after_all"])
    async def test_first_beacon_resent_after_the_rereport_changes_nothing(
        self,
        rig: tuple[Any, str],
        settings: Settings,
        db: asyncpg.Connection,
        jobs_between: bool,
    ) -> None:
        """The first beacon (no seq), its re-report (seq 1) and the first beacon again are each answered 202; the CLS and INP rows keep the re-report's values, the other metrics the first beacon's, and rollups equal a recount."""
        client, key = rig
        origin = time.time() * 1000 - 60_000
        first, rereport = golden("full.json", origin), golden("cls-rereport.json", origin)
        for body in (first, rereport, first):
            response = await post_beacon(client, key, body)
            assert response.status_code == 202, response.text
            if jobs_between:
                await asyncio.to_thread(run_queued_jobs, settings)
        if not jobs_between:
            await asyncio.to_thread(run_queued_jobs, settings)
        expected = {r["id"]: (r["value"], 0) for r in first["reports"]}
        expected |= {r["id"]: (r["value"], 1) for r in rereport["reports"]}
        rows = await db.fetch("SELECT metric_id, value, seq FROM vitals")
        assert {r["metric_id"]: (r["value"], r["seq"]) for r in rows} == expected
        assert {r["name"] for r in rereport["reports"]} == {"CLS", "INP"}
        await assert_rollups_exact(db)

    async def test_seq_at_its_limit_is_stored_and_one_over_refused(
        self, rig: tuple[Any, str], settings: Settings, db: asyncpg.Connection
    ) -> None:
        """seq 2^31 - 1 fits the integer column and is stored; 2^31 is refused with 400 {error, detail} before any job."""
        client, key = rig
        origin = time.time() * 1000 - 60_000
        over = golden("minimal.json", origin) | {"seq": MAX_SEQ + 1}
        response = await post_beacon(client, key, over)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_beacon"
        assert "seq" in response.json()["detail"]
        at_limit = golden("minimal.json", origin) | {"seq": MAX_SEQ}
        assert (await post_beacon(client, key, at_limit)).status_code == 202
        (summary,) = await asyncio.to_thread(run_queued_jobs, settings)
        assert (summary["stored"], summary["parked"]) == (1, {})
        assert await db.fetchval("SELECT seq FROM vitals") == MAX_SEQ
