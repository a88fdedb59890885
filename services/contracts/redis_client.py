"""Redis clients with bounded timeouts: a slow Redis must surface as an error, not a hang."""

from __future__ import annotations

import redis
import redis.asyncio

from services.contracts.settings import Settings


def async_redis(settings: Settings, url: str | None = None) -> redis.asyncio.Redis:
    return redis.asyncio.Redis.from_url(
        url or settings.redis_url,
        socket_timeout=settings.redis_timeout_s,
        socket_connect_timeout=settings.redis_timeout_s,
        health_check_interval=30,
    )


def sync_redis(settings: Settings, url: str | None = None) -> redis.Redis:
    # RQ needs raw bytes back (decode_responses=False), which is the default.
    return redis.Redis.from_url(
        url or settings.redis_url,
        socket_timeout=settings.redis_timeout_s,
        socket_connect_timeout=settings.redis_timeout_s,
        health_check_interval=30,
    )
