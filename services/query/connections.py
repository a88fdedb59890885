"""The query service's database sessions: its own login, tuned for short reads."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import asyncpg
import msgspec

from services.contracts.database import create_pool
from services.contracts.settings import Settings

# Sent as DSN parameters, which asyncpg passes on as session settings: JIT compilation
# costs 30-40 ms, more than it saves on these aggregations of at most a few hundred
# thousand rows, and a month of hourly bins sorts in memory within 32 MiB.
SESSION_SETTINGS = {"jit": "off", "work_mem": "32MB"}


def tuned_url(url: str) -> str:
    """The URL with the session settings added, unless the operator set them already."""
    base, _, query = url.partition("?")
    params = dict(parse_qsl(query, keep_blank_values=True))
    return base + "?" + urlencode({**SESSION_SETTINGS, **params})


async def reader_pool(settings: Settings, service: str) -> asyncpg.Pool:
    """Logged in as the query role (settings.query_url), which can become no role that writes."""
    tuned = msgspec.structs.replace(settings, database_url=tuned_url(settings.query_url))
    return await create_pool(tuned, service, read_only=True)
