"""Helpers for driving the real ingest app against the test Redis."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import redis
import redis.asyncio
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from services.contracts import key_registry as registry
from services.contracts.keys import ProjectAccess, key_hash, new_key
from services.contracts.queue import QUEUE_NAME, AcceptedBeacon, decode_batch
from services.contracts.settings import Settings
from services.ingest.app import create_app
from tests.support.ops import OPS_HEADERS

GOLDEN = Path(__file__).resolve().parents[1] / "wire" / "v1"
BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/131.0.0.0 Safari/537.36"
)
SEND_BEACON_TYPE = "text/plain;charset=UTF-8"


def with_settings(settings: Settings, **changes: Any) -> Settings:
    return msgspec.structs.replace(settings, **changes)


@asynccontextmanager
async def ingest_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    """The real app, lifespan included, as a test client."""
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
async def ingest(settings: Settings, redis_client: redis.asyncio.Redis) -> AsyncIterator[Any]:
    """The ingest app on the flushed test Redis, with default settings and a built, empty registry."""
    await registry.rebuild(redis_client, no_keys)
    async with ingest_client(settings) as client:
        yield client


async def publish_key(client: redis.asyncio.Redis, project_id: int, **access: Any) -> str:
    """Registers a fresh key the way the CLI does, in a built registry, and returns it."""
    if not await registry.present(client):
        await registry.rebuild(client, no_keys)
    key = new_key()
    await registry.publish(client, {key_hash(key): ProjectAccess(project_id=project_id, **access)})
    return key


async def no_keys() -> dict[str, ProjectAccess]:
    """The database of a test that has created no key yet."""
    return {}


def now_ms() -> float:
    return time.time() * 1000


def beacon(example: str = "full", **fields: Any) -> dict[str, Any]:
    """A golden valid beacon with a current time origin, and any top-level fields replaced."""
    data: dict[str, Any] = json.loads((GOLDEN / "valid" / f"{example}.json").read_text())
    data["timeOrigin"] = now_ms() - 5_000
    data.update(fields)
    return data


async def post_beacon(
    client: Any,
    key: str | None,
    body: dict[str, Any] | bytes,
    *,
    content_type: str | None = SEND_BEACON_TYPE,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POSTs as sendBeacon does: text/plain, the key in the query string."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    all_headers = {"user-agent": BROWSER_UA}
    if content_type is not None:
        all_headers["content-type"] = content_type
    all_headers.update(headers or {})
    params = {"key": key} if key is not None else {}
    response: httpx.Response = await client.post(
        "/v1/beacon", params=params, content=content, headers=all_headers
    )
    return response


def queued_jobs(settings: Settings) -> list[Job]:
    connection = redis.Redis.from_url(settings.redis_url)
    try:
        return Queue(QUEUE_NAME, connection=connection, serializer=JSONSerializer).jobs
    finally:
        connection.close()


def queued_beacons(settings: Settings) -> list[AcceptedBeacon]:
    return [b for job in queued_jobs(settings) for b in decode_batch(job.args[0]).beacons]


async def metric(client: Any, name: str, **labels: str) -> float:
    """One sample of the app's /metrics, 0 when absent."""
    text = (await client.get("/metrics", headers=OPS_HEADERS)).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0
