"""The admission of one beacon, cheapest and most decisive checks first.

Headers (415, 401) before any Redis call; the key (403) before reading the body, so
strangers cannot make us read 64 KiB; the body's own rules (413, 400); then bots, which
are answered 202 and dropped before they can use up a project's quota (429); then
backpressure (503) and the group commit, after which alone the answer is 202.
"""

from __future__ import annotations

import time

import msgspec
import redis
import structlog

from services.contracts.bodies import UNREADABLE_JSON, unreadable_detail
from services.contracts.key_registry import RegistryMissing
from services.contracts.keys import ProjectAccess
from services.contracts.queue import AcceptedBeacon
from services.contracts.settings import Settings
from services.contracts.wire import Beacon, InvalidBeacon, decode
from services.ingest.access import KeyCache, origin_allowed
from services.ingest.backpressure import QueueDepth
from services.ingest.body import BodyReader, check_content_headers
from services.ingest.bots import is_bot
from services.ingest.commit import GroupCommit
from services.ingest.envelope import Envelope
from services.ingest.ratelimit import RateLimiter
from services.ingest.refusal_log import RefusalLog
from services.ingest.rejections import (
    RETRY_AFTER_QUEUE_FULL_S,
    Rejected,
    forbidden,
    queue_unavailable,
    registry_unavailable,
)
from services.ingest.telemetry import IngestTelemetry

log = structlog.get_logger()

MAX_USER_AGENT = 512  # real ones are under 300 characters

# A Redis that is down, slow, or refusing writes; also the coalescers' own Closed.
REDIS_FAILURES = (redis.RedisError, OSError, TimeoutError)


class Intake:
    def __init__(
        self,
        settings: Settings,
        *,
        keys: KeyCache,
        limiter: RateLimiter,
        depth: QueueDepth,
        commit: GroupCommit,
        telemetry: IngestTelemetry,
    ) -> None:
        self._settings = settings
        self._keys = keys
        self._limiter = limiter
        self._depth = depth
        self._commit = commit
        self._telemetry = telemetry
        self._refusals = RefusalLog()

    async def receive(self, query_key: str | None, envelope: Envelope, body: BodyReader) -> int:
        """Admit one beacon request (`query_key`: its ?key=); the number of reports it
        carried, or Rejected."""
        try:
            return await self._receive(query_key, envelope, body)
        except Rejected as exc:
            self._telemetry.dropped(exc.code, exc.reports)
            if exc.status >= 500:
                self._refusals.refused(exc.code, exc.reports)
            raise

    def close(self) -> None:
        self._refusals.flush()

    async def _receive(self, query_key: str | None, envelope: Envelope, reader: BodyReader) -> int:
        check_content_headers(envelope)
        key = query_key or envelope.key
        if not key:
            raise Rejected(401, "missing_key", "send the project key as ?key= or X-Vitals-Key")
        access = await self._access(key)
        if not origin_allowed(access, envelope.origin):
            raise Rejected(403, "origin_not_allowed", "this origin may not send to the project")
        body = await reader.read()
        beacon = _decode(body)
        reports = len(beacon.reports)
        received_at = time.time() * 1000
        _check_time_origin(self._settings, beacon, received_at)
        user_agent = envelope.user_agent[:MAX_USER_AGENT]
        if access.filter_bots and is_bot(user_agent):
            self._telemetry.dropped("bot", reports)
            log.debug("beacon_dropped", reason="bot", project_id=access.project_id)
            return reports
        await self._admit(access, reports)
        accepted = AcceptedBeacon(
            project_id=access.project_id,
            received_at=received_at,
            user_agent=user_agent,
            country=envelope.country,
            beacon=beacon,
        )
        try:
            await self._commit.commit(accepted, len(body))
        except REDIS_FAILURES:
            raise queue_unavailable(reports) from None
        self._telemetry.accepted(reports)
        log.debug("beacon_accepted", project_id=access.project_id, reports=reports)
        return reports

    async def _access(self, key: str) -> ProjectAccess:
        try:
            access = await self._keys.lookup(key)
        except REDIS_FAILURES:
            raise queue_unavailable() from None
        except RegistryMissing:
            raise registry_unavailable() from None
        except msgspec.DecodeError:
            log.error("key_registry_entry_unreadable")
            raise Rejected(
                503, "key_registry_invalid", "the key registry needs a rebuild"
            ) from None
        if access is None:
            raise forbidden()
        return access

    async def _admit(self, access: ProjectAccess, reports: int) -> None:
        try:
            wait = await self._limiter.retry_after(access.project_id, access.rate_limit_per_minute)
            depth = await self._depth.current()
        except REDIS_FAILURES:
            raise queue_unavailable(reports) from None
        if wait is not None:
            raise Rejected(
                429,
                "rate_limited",
                f"over {access.rate_limit_per_minute} beacons a minute",
                reports=reports,
                retry_after_s=wait,
            )
        if depth > self._settings.max_queue_depth:
            raise Rejected(
                503,
                "queue_full",
                "ingest is shedding load while the workers catch up",
                reports=reports,
                retry_after_s=RETRY_AFTER_QUEUE_FULL_S,
            )


def _decode(body: bytes) -> Beacon:
    try:
        return decode(body)
    except (msgspec.DecodeError, InvalidBeacon) as exc:
        # msgspec names the place: "Expected `float`, got `str` - at `$.reports[0].value`".
        raise Rejected(400, "invalid_beacon", str(exc)) from None
    except UNREADABLE_JSON as exc:
        raise Rejected(400, "invalid_beacon", unreadable_detail(exc)) from None


def _check_time_origin(settings: Settings, beacon: Beacon, received_at_ms: float) -> None:
    """Outside the window: 400, never clamped (a clamped time would break the upsert key)."""
    max_age_s, max_ahead_s = settings.time_origin_max_age_s, settings.time_origin_max_ahead_s
    earliest = received_at_ms - max_age_s * 1000
    latest = received_at_ms + max_ahead_s * 1000
    if not earliest <= beacon.time_origin <= latest:
        raise Rejected(
            400,
            "time_origin_out_of_window",
            f"timeOrigin must be within {max_age_s / 3600:g} h before and"
            f" {max_ahead_s / 60:g} min after the time of receipt",
            reports=len(beacon.reports),
        )
