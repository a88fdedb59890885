"""The live-event contract between workers (publishers) and the realtime server.

Workers append one `LiveBatch` per processed batch and project to the Redis stream
LIVE_STREAM (`publish_batch`). Each realtime instance follows the whole stream on its own,
merges what arrived per project and emits `vitals` events to its own clients only, at a
bounded rate. A stream rather than pub/sub: a reader whose connection drops while Redis
stays up resumes after the last entry it read, so nothing published meanwhile is lost.
"""

from __future__ import annotations

import msgspec
import redis

LIVE_STREAM = "vitals:live:batches"
LIVE_STREAM_FIELD = "batch"
# ~20 s of history at 100 batches/s: enough for a reader to ride out a reconnect, small enough
# (a few MB) for the queue's noeviction Redis. Approximate trimming keeps XADD O(1).
LIVE_STREAM_MAXLEN = 2_000
# Page views per LiveBatch and per `vitals` event, oldest first (the newest last): the live
# feed shows the latest few only, so a worker need not ship a thousand-beacon batch's page
# views through Redis.
LIVE_PAGE_VIEWS_MAX = 20

VITALS_EVENT = "vitals"
STATUS_EVENT = "status"


def project_room(project_id: int) -> str:
    return f"project:{project_id}"


class LiveMetricValue(msgspec.Struct, frozen=True, kw_only=True):
    metric: str  # LCP, INP, CLS, FCP, TTFB
    value: float
    rating: str  # good, needs-improvement, poor (server-side)


class LivePageView(msgspec.Struct, frozen=True, kw_only=True):
    route: str
    device: str
    country: str
    values: list[LiveMetricValue]


class LiveBatch(msgspec.Struct, frozen=True, kw_only=True):
    """What one processed batch adds to a project; page views oldest first."""

    v: int = 1
    project_id: int
    counts: dict[str, int]  # metric name -> reports stored or replaced
    bins: dict[str, dict[int, int]]  # metric name -> histogram bin -> count delta
    page_views: list[LivePageView]


class LiveStatus(msgspec.Struct, frozen=True, kw_only=True):
    """A metric's rolling p75 crossed a rating threshold (or was first rated)."""

    v: int = 1
    project_id: int
    metric: str  # LCP, INP, CLS, FCP, TTFB
    p75: float  # in the metric's unit (ms; CLS unitless)
    rating: str  # good, needs-improvement, poor
    previous: str | None  # None: the first rating since this realtime instance started
    samples: int  # reports in the rolling window
    window_s: int


_batch_decoder = msgspec.json.Decoder(LiveBatch)


def encode_batch(batch: LiveBatch) -> bytes:
    return msgspec.json.encode(batch)


def decode_batch(data: bytes) -> LiveBatch:
    return _batch_decoder.decode(data)


def publish_batch(client: redis.Redis, batch: LiveBatch) -> None:
    """Append one processed batch's live delta; page views oldest first, the newest kept."""
    if len(batch.page_views) > LIVE_PAGE_VIEWS_MAX:
        batch = msgspec.structs.replace(batch, page_views=batch.page_views[-LIVE_PAGE_VIEWS_MAX:])
    client.xadd(
        LIVE_STREAM,
        {LIVE_STREAM_FIELD: encode_batch(batch)},
        maxlen=LIVE_STREAM_MAXLEN,
        approximate=True,
    )
