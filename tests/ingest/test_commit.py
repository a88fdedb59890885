"""Group commit: concurrent beacons share RQ jobs, and each caller returns only once its
beacon's job is in Redis, or raises."""

from __future__ import annotations

import asyncio
import json

import pytest
import redis
import redis.asyncio

from services.contracts.queue import AcceptedBeacon
from services.contracts.settings import Settings
from services.contracts.wire import decode
from services.ingest.commit import MAX_JOB_BYTES, GroupCommit
from tests.ingest.conftest import beacon, queued_beacons, queued_jobs
from tests.support.processes import free_port


def _accepted(n: int, project_id: int = 1) -> AcceptedBeacon:
    body = beacon("minimal", navigationId=f"nav-{n}")
    return AcceptedBeacon(
        project_id=project_id,
        received_at=body["timeOrigin"] + 1,
        beacon=decode(json.dumps(body).encode()),
    )


class TestGroupCommit:
    async def test_concurrent_beacons_share_jobs(
        self, settings: Settings, redis_client: redis.asyncio.Redis
    ) -> None:
        """200 concurrent commits land in far fewer than 200 jobs, each beacon exactly once."""
        commit = GroupCommit(redis.asyncio.Redis.from_url(settings.redis_url), timeout_s=2.0)
        try:
            await asyncio.gather(*(commit.commit(_accepted(i), 300) for i in range(200)))
        finally:
            await commit.aclose()
        jobs = queued_jobs(settings)
        assert len(jobs) <= 20
        ids = sorted(b.beacon.navigation_id for b in queued_beacons(settings))
        assert ids == sorted(f"nav-{i}" for i in range(200))

    async def test_large_beacons_are_split_across_jobs_of_one_flush(
        self, settings: Settings, redis_client: redis.asyncio.Redis
    ) -> None:
        """Beacons whose bodies add up past the job size cap go into several jobs, none lost."""
        commit = GroupCommit(redis.asyncio.Redis.from_url(settings.redis_url), timeout_s=2.0)
        big = MAX_JOB_BYTES // 2 + 1
        try:
            await asyncio.gather(*(commit.commit(_accepted(i), big) for i in range(3)))
        finally:
            await commit.aclose()
        assert len(queued_jobs(settings)) == 3
        assert len(queued_beacons(settings)) == 3

    async def test_a_failed_write_fails_every_caller_of_the_batch(self, settings: Settings) -> None:
        """When Redis cannot be written, every beacon of the batch raises instead of returning."""
        dead = redis.asyncio.Redis.from_url(
            f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2
        )
        commit = GroupCommit(dead, timeout_s=1.0)
        try:
            results = await asyncio.gather(
                *(commit.commit(_accepted(i), 300) for i in range(10)), return_exceptions=True
            )
        finally:
            await commit.aclose()
        assert len(results) == 10
        assert all(isinstance(r, (redis.RedisError, OSError, TimeoutError)) for r in results)

    async def test_close_writes_what_is_pending(
        self, settings: Settings, redis_client: redis.asyncio.Redis
    ) -> None:
        """Closing on shutdown flushes beacons already submitted, so none that were handed over is dropped."""
        commit = GroupCommit(redis.asyncio.Redis.from_url(settings.redis_url), timeout_s=2.0)
        pending = [asyncio.ensure_future(commit.commit(_accepted(i), 300)) for i in range(5)]
        await asyncio.sleep(0)  # let them submit
        await commit.aclose()
        await asyncio.gather(*pending)
        assert len(queued_beacons(settings)) == 5

    async def test_commit_after_close_raises(self, settings: Settings) -> None:
        """A beacon arriving during shutdown is refused (the caller answers 503), not silently queued in memory."""
        commit = GroupCommit(redis.asyncio.Redis.from_url(settings.redis_url), timeout_s=2.0)
        await commit.aclose()
        with pytest.raises(ConnectionError):
            await commit.commit(_accepted(0), 300)
