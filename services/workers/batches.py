"""A decoded batch → stored rows, and what became of every report in it.

Every report ends in exactly one outcome:

- stored: its key was new and it is now the row;
- replaced: it replaced an older report of the same key (a grown CLS or INP);
- duplicate: a report of its key at least as new is already stored, or a newer one came
  in the same batch (a retried job's reports all end here);
- dropped, with a reason: unknown_project (deleted after ingest accepted the beacon) or
  invalid_url (a URL without a usable host);
- failed: the job raised and RQ gave up retrying it (counted by the worker, jobs.py).
"""

from __future__ import annotations

from collections import Counter

import asyncpg
import msgspec

from services.contracts.database import Connection
from services.contracts.queue import BeaconBatch
from services.workers import rollups, store, upsert
from services.workers.edition import Edition
from services.workers.normalize import Key, Report, latest_per_key, normalize
from services.workers.projects import ProjectDirectory
from services.workers.routes import InvalidUrl, Page


class Outcome(msgspec.Struct, kw_only=True):
    received: int = 0
    stored: int = 0
    replaced: int = 0
    duplicate: int = 0
    dropped: dict[str, int] = msgspec.field(default_factory=dict)
    changes: list[upsert.Change] = msgspec.field(default_factory=list)
    reports: dict[Key, Report] = msgspec.field(default_factory=dict)  # the stored ones

    def summary(self) -> dict[str, object]:
        """The job's result: small and JSON-safe, for RQ to keep."""
        return {
            "received": self.received,
            "stored": self.stored,
            "replaced": self.replaced,
            "duplicate": self.duplicate,
            "dropped": self.dropped,
        }


async def process_batch(
    pool: asyncpg.Pool, edition: Edition, projects: ProjectDirectory, batch: BeaconBatch
) -> Outcome:
    outcome = Outcome(received=sum(len(b.beacon.reports) for b in batch.beacons))
    dropped: Counter[str] = Counter()
    async with pool.acquire() as connection:
        known = await projects.lookup(connection, {b.project_id for b in batch.beacons})
        reports: list[Report] = []
        for accepted in batch.beacons:
            project = known[accepted.project_id]
            if project is None:
                dropped["unknown_project"] += len(accepted.beacon.reports)
                continue
            try:
                reports.extend(normalize(accepted, project.rules))
            except InvalidUrl:
                dropped["invalid_url"] += len(accepted.beacon.reports)
        latest = latest_per_key(reports)
        if latest:
            async with connection.transaction():
                outcome.changes = await _write(connection, edition, latest)
    outcome.dropped = dict(dropped)
    by_key = {r.key: r for r in latest}
    outcome.reports = {k: by_key[k] for k in map(store.key_of, outcome.changes)}
    outcome.replaced = sum(1 for c in outcome.changes if c.old is not None)
    outcome.stored = len(outcome.changes) - outcome.replaced
    outcome.duplicate = outcome.received - outcome.stored - outcome.replaced - dropped.total()
    return outcome


async def _write(
    connection: Connection, edition: Edition, reports: list[Report]
) -> list[upsert.Change]:
    pages: dict[store.PageKey, Page] = {store.page_key(r): r.page for r in reports}
    page_ids = await store.upsert_pages(connection, pages)
    await store.stage(connection, reports, page_ids)
    times = [r.time for r in reports]
    maintain_rollups = edition.workers_maintain_rollups
    changes = await upsert.upsert_vitals(
        connection, len(reports), min(times), max(times), record_deltas=maintain_rollups
    )
    if maintain_rollups:
        removes_any = any(c.old is not None for c in changes)
        await rollups.apply_deltas(connection, removes_any=removes_any)
    return changes
