"""The write path with nothing going wrong: demo traffic through ingest, two workers."""

from __future__ import annotations

import asyncpg

from services.contracts.settings import Settings
from tests.e2e.ledger import assert_stored_as_accepted
from tests.e2e.stack import (
    Stack,
    accepted_by_ingest,
    drain,
    new_project,
    vitals_cli,
    worker_outcomes,
)
from tests.e2e.traffic import Traffic

PAGE_VIEWS = 200
BAD_BEACONS = 4


class TestDemoTraffic:
    async def test_every_accepted_report_is_stored_once_and_counted_once(
        self, stack: Stack, stack_settings: Settings, db: asyncpg.Connection
    ) -> None:
        """200 demo page views for two projects (CLS/INP re-reports included) are stored one row per id with its latest value, the rollups equal a recount, and the workers' outcome counters add up to the reports ingest accepted."""
        keys = dict([await new_project(db, "shop"), await new_project(db, "blog")])
        assert "2 active key(s)" in vitals_cli(stack_settings, "keys", "sync")
        workers = stack.start("a", "b")
        traffic = Traffic(stack.ingest.url, keys, seed=200)
        try:
            await traffic.page_views(PAGE_VIEWS, concurrency=8)
            for _ in range(BAD_BEACONS):
                assert (await traffic.bad_beacon(min(keys))).status == 400
        finally:
            await traffic.aclose()

        await drain(stack_settings)
        ledger = traffic.ledger
        assert ledger.statuses[400] == BAD_BEACONS
        assert ledger.statuses[202] == len(ledger.answers) - BAD_BEACONS
        verdict = await assert_stored_as_accepted(db, ledger)
        assert verdict.rows == verdict.accepted_keys
        assert len(ledger.re_reported_keys()) > 50  # the latest-value check had work to do
        outcomes = worker_outcomes(workers)
        assert outcomes["failed"] == 0
        assert outcomes["stored"] == verdict.rows  # one `stored` per row, however many workers
        counted = sum(outcomes[o] for o in ("stored", "replaced", "duplicate", "dropped"))
        assert counted == accepted_by_ingest(stack.ingest) == ledger.accepted_reports
