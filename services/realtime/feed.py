"""Following the live stream: every LiveBatch the workers append, in order, across outages.

python-socketio's Redis listener has been known to die silently; this reader cannot:
- every read is bounded (XREAD BLOCK shorter than the socket timeout), so a dead or
  half-open connection surfaces as an error within seconds instead of a read that never
  returns;
- any error is logged, the client is rebuilt and the read retried after a short, capped
  backoff, forever, until the server shuts down;
- it resumes after the last entry it read, so what was appended while it reconnected is
  delivered late rather than lost;
- `healthy` goes false when no read has succeeded for STALE_AFTER_S, and /ready says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import cast

import msgspec
import redis.asyncio
import structlog

from services.contracts.live import LIVE_STREAM, LIVE_STREAM_FIELD, LiveBatch, decode_batch
from services.contracts.redis_client import async_redis
from services.contracts.settings import Settings

READ_COUNT = 1_000  # entries per read: one read drains a burst, one merge per project
MAX_BLOCK_MS = 1_000
# A healthy feed completes a read at least every MAX_BLOCK_MS, even with nothing published;
# readiness fails after a few missed reads, not on the first blip (Redis' own check does that).
STALE_AFTER_S = 5.0
BACKOFF_FIRST_S = 0.1
# Capped low: once Redis is back, live events must resume within a couple of seconds.
BACKOFF_MAX_S = 2.0
FIELD = LIVE_STREAM_FIELD.encode()

Entry = tuple[bytes, dict[bytes, bytes]]

log = structlog.get_logger()


class BatchFeed:
    def __init__(self, settings: Settings, deliver: Callable[[list[LiveBatch]], None]) -> None:
        self.settings = settings
        self.deliver = deliver
        # Half the socket timeout, so an idle read always answers before the client gives up.
        self.block_ms = min(MAX_BLOCK_MS, max(1, int(settings.redis_timeout_s * 500)))
        self.last_id: bytes | None = None
        self._last_read = 0.0
        self._interrupted = False

    @property
    def healthy(self) -> bool:
        return time.monotonic() - self._last_read < STALE_AFTER_S

    async def run(self) -> None:
        backoff = BACKOFF_FIRST_S
        while True:
            client = async_redis(self.settings)
            attempt_started = time.monotonic()
            try:
                if self.last_id is None:
                    self.last_id = await self._tail_id(client)
                    self._last_read = time.monotonic()
                    log.info("live_feed_started", stream=LIVE_STREAM, after=self.last_id.decode())
                await self._follow(client)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._last_read > attempt_started:  # it had recovered: start the backoff over
                    backoff = BACKOFF_FIRST_S
                self._interrupted = True
                log.warning("live_feed_interrupted", error=repr(exc), retry_in_s=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()

    async def _tail_id(self, client: redis.asyncio.Redis) -> bytes:
        """The newest entry's id: a fresh instance serves what is published from now on."""
        # redis-py types stream replies loosely; with RESP2 they are lists of (id, fields).
        newest = cast(list[Entry], await client.xrevrange(LIVE_STREAM, count=1))
        return newest[0][0] if newest else b"0-0"

    async def _follow(self, client: redis.asyncio.Redis) -> None:
        while self.last_id is not None:
            streams = cast(
                list[tuple[bytes, list[Entry]]],
                await client.xread(
                    {LIVE_STREAM: self.last_id}, count=READ_COUNT, block=self.block_ms
                ),
            )
            self._last_read = time.monotonic()
            if self._interrupted:
                self._interrupted = False
                log.info("live_feed_resumed", after=self.last_id.decode())
            if not streams:
                continue
            entries = streams[0][1]
            self.last_id = entries[-1][0]
            self.deliver([b for b in map(self._decode, entries) if b is not None])

    @staticmethod
    def _decode(entry: Entry) -> LiveBatch | None:
        entry_id, fields = entry
        try:
            return decode_batch(fields[FIELD])
        except (KeyError, msgspec.DecodeError) as exc:
            # One bad entry must not stall the feed for everyone: skip it, loudly.
            log.error("live_batch_malformed", entry_id=entry_id.decode(), error=repr(exc))
            return None
