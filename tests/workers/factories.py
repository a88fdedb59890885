"""Batches built from the contract structs, the way ingest builds them."""

from __future__ import annotations

import contextlib
import itertools
import time

import asyncpg
import msgspec
from rq import Queue, Retry
from rq.job import Job
from rq.serializers import JSONSerializer

from services.contracts.queue import (
    BEACONS_FIELD,
    BEACONS_RECEIVED,
    QUEUE_NAME,
    RETRY_INTERVALS_S,
    AcceptedBeacon,
    BeaconBatch,
    decode_batch,
    encode_batch,
)
from services.contracts.redis_client import sync_redis
from services.contracts.settings import Settings
from services.contracts.wire import Attribution, Beacon, Connection, Report, Sdk
from services.ingest.commit import FAILURE_TTL_S, JOB_DESCRIPTION, JOB_TIMEOUT_S, RESULT_TTL_S
from services.workers.batches import Outcome, process_batch
from services.workers.projects import ProjectDirectory

CHROME_DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
_ids = itertools.count(1)


def now_ms() -> float:
    return time.time() * 1000


def report(name: str, value: float, metric_id: str | None = None, **fields: object) -> Report:
    return Report(
        name=name,  # type: ignore[arg-type]
        value=value,
        delta=value,
        id=metric_id or f"v6-{next(_ids)}-{name}",
        **fields,  # type: ignore[arg-type]
    )


def beacon(
    *reports: Report,
    url: str = "https://shop.example/products/123",
    time_origin: float | None = None,
    effective_type: str | None = "4g",
    seq: int = 0,
    release: str | None = None,
) -> Beacon:
    return Beacon(
        v=1,
        sdk=Sdk(name="vitals-js", version="1.0.0"),
        url=url,
        time_origin=time_origin or now_ms() - 5_000,
        reports=list(reports),
        navigation_id="nav-1",
        connection=Connection(effective_type=effective_type),  # type: ignore[arg-type]
        seq=seq,
        release=release,
    )


def accepted(
    project_id: int,
    b: Beacon,
    *,
    received_at: float | None = None,
    user_agent: str = CHROME_DESKTOP,
    country: str = "DE",
) -> AcceptedBeacon:
    return AcceptedBeacon(
        project_id=project_id,
        received_at=received_at or now_ms(),
        user_agent=user_agent,
        country=country,
        beacon=b,
    )


def batch(*beacons: AcceptedBeacon) -> BeaconBatch:
    return BeaconBatch(beacons=list(beacons))


def payload(b: BeaconBatch) -> str:
    return encode_batch(b).decode()


def page_view(
    project_id: int,
    *,
    lcp: float = 2100,
    cls: float = 0.05,
    url: str = "https://shop.example/products/123",
    user_agent: str = CHROME_DESKTOP,
    release: str | None = None,
    time_origin: float | None = None,
) -> AcceptedBeacon:
    """One page view reporting all five metrics, with attribution."""
    return accepted(
        project_id,
        beacon(
            report(
                "LCP",
                lcp,
                attribution=Attribution(
                    target="img.hero",
                    url="https://cdn.example/hero.jpg",
                    time_to_first_byte=300,
                    resource_load_delay=100,
                    resource_load_duration=900,
                    element_render_delay=50,
                ),
            ),
            report(
                "INP",
                180,
                attribution=Attribution(
                    interaction_target="button#buy",
                    interaction_type="pointer",
                    input_delay=20,
                    processing_duration=120,
                    presentation_delay=40,
                ),
            ),
            report(
                "CLS",
                cls,
                attribution=Attribution(
                    largest_shift_target="div.ad",
                    largest_shift_value=0.04,
                    largest_shift_time=1200,
                    load_state="complete",
                ),
            ),
            report("FCP", 1500),
            report("TTFB", 400),
            url=url,
            release=release,
            time_origin=time_origin,
        ),
        user_agent=user_agent,
    )


async def create_project(
    db: asyncpg.Connection, slug: str = "shop", route_rules: str = "[]"
) -> int:
    project_id: int = await db.fetchval(
        "INSERT INTO projects (slug, name, route_rules) VALUES ($1, $1, $2::jsonb) RETURNING id",
        slug,
        route_rules,
    )
    return project_id


def enqueue_like_ingest(
    settings: Settings, body: str, retry: Retry | None = None, *, at_front: bool = False
) -> Job:
    """Enqueue a batch with the options and the beacon count ingest's group commit writes
    (a body that does not decode gets no count, as a full job would count)."""
    queue = Queue(QUEUE_NAME, connection=sync_redis(settings), serializer=JSONSerializer)
    with queue.connection.pipeline() as pipe:
        job = queue.enqueue_call(
            BEACONS_RECEIVED,
            args=(body,),
            timeout=JOB_TIMEOUT_S,
            result_ttl=RESULT_TTL_S,
            failure_ttl=FAILURE_TTL_S,
            retry=retry or Retry(max=len(RETRY_INTERVALS_S), interval=list(RETRY_INTERVALS_S)),
            description=JOB_DESCRIPTION,
            at_front=at_front,
            pipeline=pipe,
        )
        with contextlib.suppress(msgspec.ValidationError, msgspec.DecodeError):
            pipe.hset(job.key, BEACONS_FIELD, len(decode_batch(body).beacons))
        pipe.execute()
    return job


async def store(pool: asyncpg.Pool, b: BeaconBatch) -> Outcome:
    """Store a batch as a worker's job would, with a fresh project cache."""
    return await process_batch(pool, ProjectDirectory(), b)
