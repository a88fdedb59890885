"""End to end through the real ingest app, its Redis queue and the real job function: a
beacon's country comes from its client's address behind a trusted proxy and is stored,
and the address is in no stored row, no queued job and no log line."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import redis.asyncio

from services.contracts.settings import Settings
from services.ingest.geo import load_country_table
from services.workers import runtime
from tests.ingest.conftest import (
    beacon,
    ingest_client,
    post_beacon,
    publish_key,
    queued_jobs,
    with_settings,
)
from tests.wire.test_hostile_beacons import run_queued_jobs
from tests.workers.factories import create_project

# In the shipped DB-IP table: RIPE NCC's own addresses in Amsterdam, and a range in Britain.
FROM_NL = "2001:67c:2e8:22::c100:68b"
FROM_GB = "81.2.69.142"
SPOOFED = "203.0.113.9"  # written by the client, left of the proxy's entry: never read


@pytest.fixture
async def project_key(
    settings: Settings, db: asyncpg.Connection, redis_client: redis.asyncio.Redis
) -> AsyncIterator[str]:
    """A project's key, and the worker runtime on the test database."""
    key = await publish_key(redis_client, project_id=await create_project(db))
    runtime.install(settings)
    try:
        yield key
    finally:
        await asyncio.to_thread(runtime.current().close)


async def _table_loaded(client: Any) -> None:
    """The app reads the table in the background after start: wait for it (5 s at most)."""
    await asyncio.to_thread(load_country_table)  # once per process; the app's read shares it
    deadline = time.monotonic() + 5
    while client.app.state.countries.table is None:
        assert time.monotonic() < deadline, "the country table did not load"
        await asyncio.sleep(0.01)


class TestCountryFromAddress:
    async def test_the_country_is_stored_and_the_address_nowhere(
        self,
        settings: Settings,
        project_key: str,
        db: asyncpg.Connection,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Two page views through one trusted proxy (IPv6 bracketed with a port, IPv4 with a spoofed entry before it) are stored with NL and GB; no address is in a row, the queued job or a log line, the refusal log's included."""
        # JSON logs at debug, so that every line ingest and the job may write is there to read.
        proxied = with_settings(
            settings, trusted_proxy_hops=1, log_format="json", log_level="debug"
        )
        sent = [  # (X-Forwarded-For, page)
            (f"[{FROM_NL}]:443", "https://shop.example/nl"),
            (f"{SPOOFED}, {FROM_GB}", "https://shop.example/gb"),
        ]
        async with ingest_client(proxied) as client:
            await _table_loaded(client)
            for forwarded, url in sent:
                response = await post_beacon(
                    client,
                    project_key,
                    beacon("minimal", url=url),
                    headers={"x-forwarded-for": forwarded},
                )
                assert response.status_code == 202, response.text
            jobs = json.dumps([job.args for job in queued_jobs(settings)])
        # While those jobs wait, an ingest that allows no queue refuses one more (503): the
        # refusal log writes its summary line.
        async with ingest_client(with_settings(proxied, max_queue_depth=0)) as full:
            await _table_loaded(full)
            refused = await post_beacon(
                full, project_key, beacon("minimal"), headers={"x-forwarded-for": FROM_GB}
            )
            assert refused.status_code == 503, refused.text
        await asyncio.to_thread(run_queued_jobs, settings)

        rows = await db.fetch(
            "SELECT v.country, p.path, v::text AS vital, p::text AS page"
            " FROM vitals v JOIN pages p ON p.id = v.page_id"
        )
        assert {row["path"]: row["country"] for row in rows} == {"/nl": "NL", "/gb": "GB"}
        logs = capsys.readouterr()
        # The JSON log was captured, the refusal summary too, so an address's absence from it
        # below means something.
        assert '"event": "beacon_accepted"' in logs.err
        assert '"event": "beacons_refused"' in logs.err
        for address in (FROM_NL, ipaddress.ip_address(FROM_NL).exploded, FROM_GB, SPOOFED):
            assert not [row for row in rows if address in row["vital"] + row["page"]]
            assert address not in jobs
            assert address not in logs.out + logs.err
