"""Live-event contract additions proposed for `services/contracts/live.py`.

Realtime may not edit `contracts/`; until the proposal is applied there, the additions live
here verbatim, and realtime and its tests import them from this module. Once
`services.contracts.live` carries them, this module is deleted and its importers import
from there instead (nothing else changes: same names, same values).

The delivery path: each worker appends one `LiveBatch` per processed batch to a Redis
stream (`publish_batch`); every realtime instance follows the stream on its own, merges
what arrived per project and emits a `vitals` event to its own clients at a bounded rate.
"""

from __future__ import annotations

import msgspec
import redis

from services.contracts.live import LiveBatch

# A Redis stream, not a pub/sub channel: a realtime instance whose connection drops while
# Redis stays up resumes after the last entry it read, so nothing published meanwhile is lost.
LIVE_STREAM = "vitals:live:batches"
LIVE_STREAM_FIELD = "batch"
# ~20 s of history at 100 batches/s: enough for a reader to ride out a reconnect, small enough
# (a few MB) for the queue's noeviction Redis. Approximate trimming keeps XADD O(1).
LIVE_STREAM_MAXLEN = 2_000
# Page views per LiveBatch and per `vitals` event, oldest first (the newest last): the live
# feed shows the latest few only, so a worker need not ship a thousand-beacon batch's page
# views through Redis.
LIVE_PAGE_VIEWS_MAX = 20

STATUS_EVENT = "status"


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
