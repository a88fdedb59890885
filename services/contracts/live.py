"""The live-event contract between workers (publishers) and the realtime server.

Workers publish through socket.io's RedisManager(write_only=True) on SOCKETIO_CHANNEL;
the realtime server's AsyncRedisManager fans events out to the project's room.
"""

from __future__ import annotations

import msgspec

# Both sides must name the same Redis pub/sub channel for socket.io's managers.
SOCKETIO_CHANNEL = "vitals:socketio"
VITALS_EVENT = "vitals"


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
    """What one processed batch adds to a project (the realtime issue may extend it)."""

    v: int = 1
    project_id: int
    counts: dict[str, int]  # metric name -> reports stored or replaced
    bins: dict[str, dict[int, int]]  # metric name -> histogram bin -> count delta
    page_views: list[LivePageView]
