"""After a batch commits, replace the data version of every (project, hour) it changed.

Strictly after the commit: a query that reads the new version then sees the new rows.
(Before it, a query could cache an answer without them under the new version.) See
services/contracts/data_versions.py for the mechanism.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import redis
import structlog

from services.contracts.data_versions import hour_of, version_key, version_ttl_s
from services.contracts.redis_client import sync_redis
from services.contracts.settings import Settings
from services.workers.upsert import Change

log = structlog.get_logger()


def touched(changes: Iterable[Change]) -> set[tuple[int, int]]:
    return {(c.new.project_id, hour_of(c.new.time)) for c in changes}


def bump(settings: Settings, changes: Iterable[Change]) -> None:
    hours = touched(changes)
    if not hours:
        return
    token = secrets.token_hex(8)
    ttl_s = version_ttl_s(settings.time_origin_max_age_s)
    try:
        with _client(settings).pipeline(transaction=False) as pipe:
            for project_id, hour in hours:
                pipe.set(version_key(project_id, hour), token, ex=ttl_s)
            pipe.execute()
    except redis.RedisError as exc:
        # The rows are stored; failing the job would only re-run it. The query cache caps
        # the life of versioned entries (cache.VERSIONED_TTL_S) for exactly this case.
        log.warning("data_version_bump_failed", hours=len(hours), error=repr(exc))


_clients: dict[str, redis.Redis] = {}  # one per worker process and cache Redis


def _client(settings: Settings) -> redis.Redis:
    url = settings.cache_url
    if url not in _clients:
        _clients[url] = sync_redis(settings, url)
    return _clients[url]
