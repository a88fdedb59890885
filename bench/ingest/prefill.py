"""Fill the queue with jobs exactly as ingest writes them, without HTTP in the way.

The beacons go through ingest's own `GroupCommit` (the class the endpoint uses), so the
jobs carry the same payload, options and RQ bookkeeping as live ones. Handing it
`job_beacons` beacons at a time makes every job that size: the coalescer flushes what is
pending, and nothing else is.
"""

from __future__ import annotations

import asyncio
import time

from bench.ingest.beacons import USER_AGENTS, BeaconSet
from services.contracts.queue import AcceptedBeacon
from services.contracts.redis_client import async_redis
from services.contracts.settings import Settings
from services.contracts.wire import decode
from services.ingest.commit import GroupCommit


def accepted(beacons: BeaconSet, seq: int, project_id: int) -> tuple[AcceptedBeacon, int]:
    """What ingest would make of request `seq` (decoded body, user agent, receipt time),
    and the body's size, which the group commit splits jobs by."""
    body = beacons.request(seq).split(b"\r\n\r\n", 1)[1]
    beacon = AcceptedBeacon(
        project_id=project_id,
        received_at=time.time() * 1000,
        user_agent=USER_AGENTS[seq % len(USER_AGENTS)],
        beacon=decode(body),
    )
    return beacon, len(body)


async def fill(
    settings: Settings, beacons: BeaconSet, project_id: int, *, total: int, job_beacons: int
) -> int:
    """Enqueue `total` beacons in jobs of `job_beacons`; returns the number of jobs."""
    client = async_redis(settings)
    commit = GroupCommit(client, timeout_s=30.0)
    jobs = 0
    try:
        for first in range(0, total, job_beacons):
            chunk = [
                accepted(beacons, seq, project_id)
                for seq in range(first, min(total, first + job_beacons))
            ]
            await asyncio.gather(*(commit.commit(b, size) for b, size in chunk))
            jobs += 1
    finally:
        await commit.aclose()
        await client.aclose()
    return jobs
