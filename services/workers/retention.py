"""Retention: drop raw chunks, and rollup chunks, older than their configured age.

`drop_chunks` removes whole chunks (raw 1 day, hourly 7 days, daily 30 days wide), so data
lives up to one chunk width longer than its age: dropping a chunk is a file unlink, while
deleting rows would bloat the tables and take locks for minutes. Rollups outlive raw
rows by design: once raw rows are gone, the rollups are the history.

Every worker enqueues the job at most once an hour (`enqueue_if_due`, from its
maintenance tick), on both editions: the rollups are the workers' tables on both
(migration 0009), so their retention is the workers' too. Every rollup family keeps its
hourly and daily ages; releases expire with the daily age. The Timescale edition's
retention policy on raw rows (0005) stays beside it; the smaller age wins.

Run it by hand: `python -m services.workers.retention --raw-days 35`.
"""

from __future__ import annotations

import argparse
import asyncio

import msgspec
import redis
from rq import Queue
from rq.serializers import JSONSerializer

from services.contracts.database import Connection, create_pool
from services.contracts.queue import QUEUE_NAME
from services.contracts.settings import Settings
from services.workers.rollups import FAMILIES

EVERY_S = 3600
DUE_KEY = "vitals:retention:due"
RETENTION_DUE = "services.workers.jobs.retention_due"

DROP_CHUNKS = """
SELECT count(*) FROM drop_chunks($1::regclass, older_than => now() - make_interval(days => $2))
"""
# The release comparison's rollup (migration 0016) has no time to drop chunks by: a
# release goes, its rows and its entry in the releases list, once its last page view is
# older than the daily rollups' age (past it, the route rollups hold none of it either).
EXPIRE_RELEASES = """
WITH expired AS (
    DELETE FROM releases WHERE last_seen < now() - make_interval(days => $1)
    RETURNING project_id, name
), rows AS (
    DELETE FROM vitals_release_routes r USING expired e
    WHERE r.project_id = e.project_id AND r.release = e.name
)
SELECT count(*) FROM expired
"""
RELEASES = "releases"  # the key of expired releases in apply_retention's answer


class Retention(msgspec.Struct, frozen=True, kw_only=True):
    raw_days: int
    hourly_days: int
    daily_days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Retention:
        return cls(
            raw_days=settings.retention_raw_days,
            hourly_days=settings.retention_hourly_days,
            daily_days=settings.retention_daily_days,
        )

    def ages(self) -> dict[str, int]:
        ages = {"vitals": self.raw_days}
        for family in FAMILIES:
            ages[f"{family.stem}_hourly"] = self.hourly_days
            ages[f"{family.stem}_daily"] = self.daily_days
        return ages


async def drop_chunks(connection: Connection, relation: str, days: int) -> int:
    dropped: int = await connection.fetchval(DROP_CHUNKS, relation, days)
    return dropped


async def apply_retention(connection: Connection, retention: Retention) -> dict[str, int]:
    """Chunks dropped per relation, and releases expired (RELEASES)."""
    dropped = {
        relation: await drop_chunks(connection, relation, days)
        for relation, days in retention.ages().items()
    }
    dropped[RELEASES] = await connection.fetchval(EXPIRE_RELEASES, retention.daily_days)
    return dropped


def enqueue_if_due(connection: redis.Redis) -> bool:
    """Enqueue the retention job unless some worker did within the last EVERY_S."""
    if not connection.set(DUE_KEY, 1, nx=True, ex=EVERY_S):
        return False
    Queue(QUEUE_NAME, connection=connection, serializer=JSONSerializer).enqueue(
        RETENTION_DUE, description="retention_due"
    )
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m services.workers.retention", description=__doc__
    )
    settings = Settings.from_env()
    defaults = Retention.from_settings(settings)
    parser.add_argument("--raw-days", type=int, default=defaults.raw_days)
    parser.add_argument("--hourly-days", type=int, default=defaults.hourly_days)
    parser.add_argument("--daily-days", type=int, default=defaults.daily_days)
    args = parser.parse_args(argv)
    retention = Retention(
        raw_days=args.raw_days, hourly_days=args.hourly_days, daily_days=args.daily_days
    )

    async def run() -> dict[str, int]:
        pool = await create_pool(settings, "workers.retention", max_size=1)
        try:
            async with pool.acquire() as connection:
                return await apply_retention(connection, retention)
        finally:
            await pool.close()

    print(msgspec.json.encode(asyncio.run(run())).decode())


if __name__ == "__main__":
    main()
