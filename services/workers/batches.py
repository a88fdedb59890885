"""A decoded batch → stored rows, and what became of every report in it.

Every report ends in exactly one outcome:

- stored: its key was new and it is now the row;
- replaced: it replaced an older report of the same key (a grown CLS or INP);
- duplicate: a report of its key at least as new is already stored, or a newer one came
  in the same batch (a retried job's reports all end here);
- dropped, with a reason ingest cannot know when it answers 202: unknown_project (the
  project was deleted after ingest accepted the beacon);
- parked, with a reason: its beacon's own data failed to store (parking.py);
- failed: the job raised and RQ gave up retrying it (counted by the worker, jobs.py).

One bad value must not cost a batch's other beacons their data (a group-committed job
holds many browsers' and projects' beacons). A write that fails on its data (DATA_ERRORS)
is rolled back and the beacons are split in halves, each written in its own transaction,
until each failing beacon is alone: ~2·log2(n) extra transactions per bad beacon, none
when all is well. Every other error (a lost connection, a timeout, a deadlock) still
raises, so RQ retries the whole job; halves that committed are no-ops in the re-run
because the upsert is idempotent on (project, time origin, metric id).
"""

from __future__ import annotations

from collections import Counter

import asyncpg
import msgspec

from services.contracts.database import Connection
from services.contracts.queue import AcceptedBeacon, BeaconBatch
from services.workers import compressed, releases, rollups, store, upsert
from services.workers.normalize import Key, Report, latest_per_key, normalize
from services.workers.projects import ProjectDirectory

# Errors a batch's own rows cause: the same rows fail the same way on every retry.
DATA_ERRORS = (
    asyncpg.DataError,  # SQLSTATE class 22: out of range, text PostgreSQL cannot hold
    asyncpg.IntegrityConstraintViolationError,  # class 23
    asyncpg.ProgramLimitExceededError,  # class 54: e.g. an index row over ~2.7 kB
    ValueError,  # normalisation, and asyncpg's client-side encoding of a value
    ArithmeticError,  # e.g. a datetime out of range
)


class Parked(msgspec.Struct, frozen=True):
    """A beacon set aside because its own data cannot be stored."""

    accepted: AcceptedBeacon
    reason: str  # the error's type: a small, stable set (a metrics label)
    detail: str


class Outcome(msgspec.Struct, kw_only=True):
    received: int = 0
    stored: int = 0
    replaced: int = 0
    duplicate: int = 0
    dropped: dict[str, int] = msgspec.field(default_factory=dict)
    parked: list[Parked] = msgspec.field(default_factory=list)
    changes: list[upsert.Change] = msgspec.field(default_factory=list)
    reports: dict[Key, Report] = msgspec.field(default_factory=dict)  # the stored ones

    def parked_reports(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for p in self.parked:
            counts[p.reason] += len(p.accepted.beacon.reports)
        return dict(counts)

    def summary(self) -> dict[str, object]:
        """The job's result: small and JSON-safe, for RQ to keep."""
        return {
            "received": self.received,
            "stored": self.stored,
            "replaced": self.replaced,
            "duplicate": self.duplicate,
            "dropped": self.dropped,
            "parked": self.parked_reports(),
        }


Entry = tuple[AcceptedBeacon, list[Report]]


async def process_batch(
    pool: asyncpg.Pool, projects: ProjectDirectory, batch: BeaconBatch
) -> Outcome:
    outcome = Outcome(received=sum(len(b.beacon.reports) for b in batch.beacons))
    dropped: Counter[str] = Counter()
    async with pool.acquire() as connection:
        known = await projects.lookup(connection, {b.project_id for b in batch.beacons})
        entries: list[Entry] = []
        for accepted in batch.beacons:
            project = known[accepted.project_id]
            if project is None:
                dropped["unknown_project"] += len(accepted.beacon.reports)
                continue
            try:
                reports = normalize(
                    accepted, project.rules, keep_trailing_slash=project.keep_trailing_slash
                )
                entries.append((accepted, reports))
            except DATA_ERRORS as exc:  # e.g. a URL an older ingest let through
                outcome.parked.append(_parked(accepted, exc))
        await _write_bisecting(connection, entries, outcome)
    outcome.dropped = dict(dropped)
    outcome.replaced = sum(1 for c in outcome.changes if c.old is not None)
    outcome.stored = len(outcome.changes) - outcome.replaced
    parked = sum(outcome.parked_reports().values())
    outcome.duplicate = (
        outcome.received - outcome.stored - outcome.replaced - dropped.total() - parked
    )
    return outcome


async def _write_bisecting(connection: Connection, entries: list[Entry], outcome: Outcome) -> None:
    latest = latest_per_key(r for _, reports in entries for r in reports)
    if not latest:
        return
    try:
        async with connection.transaction():
            changes = await _write(connection, latest)
    except DATA_ERRORS as exc:
        if len(entries) == 1:
            outcome.parked.append(_parked(entries[0][0], exc))
            return
        middle = len(entries) // 2
        await _write_bisecting(connection, entries[:middle], outcome)
        await _write_bisecting(connection, entries[middle:], outcome)
        return
    by_key = {r.key: r for r in latest}
    outcome.changes += changes
    outcome.reports.update((k, by_key[k]) for k in map(store.key_of, changes))


def _parked(accepted: AcceptedBeacon, exc: BaseException) -> Parked:
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return Parked(accepted, type(exc).__name__, first_line[:500])


async def _write(connection: Connection, reports: list[Report]) -> list[upsert.Change]:
    page_ids = await store.upsert_pages(connection, {store.page_key(r) for r in reports})
    await store.stage(connection, reports, page_ids)
    earliest, latest = min(r.time for r in reports), max(r.time for r in reports)
    await compressed.decompress_if_late(connection, earliest, latest)
    changes = await upsert.upsert_vitals(connection, len(reports), earliest, latest)
    await rollups.apply_deltas(connection, removes_any=any(c.old is not None for c in changes))
    await releases.record_releases(connection, reports)
    return changes
