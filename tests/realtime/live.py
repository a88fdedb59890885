"""The two ends of the live path as tests drive them: batches in, Socket.IO events out."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import socketio

from services.contracts.live import LiveBatch, LiveMetricValue, LivePageView
from services.contracts.metrics import RATING_NAMES, Metric, bin_of, rating


def make_batch(
    project_id: int, metric: str = "LCP", values: tuple[float, ...] = (1200.0,), route: str = "/"
) -> LiveBatch:
    """One processed batch with one page view per value, binned and rated like the workers do."""
    m = Metric[metric]
    bins: dict[int, int] = {}
    for value in values:
        bins[bin_of(m, value)] = bins.get(bin_of(m, value), 0) + 1
    page_views = [
        LivePageView(
            route=route,
            device="mobile",
            country="FR",
            values=[LiveMetricValue(metric=metric, value=v, rating=RATING_NAMES[rating(m, v)])],
        )
        for v in values
    ]
    return LiveBatch(
        project_id=project_id,
        counts={metric: len(values)},
        bins={metric: bins},
        page_views=page_views,
    )


class LiveClient:
    """A python-socketio client that records every `vitals` and `status` event it receives."""

    def __init__(self, **options: Any) -> None:
        self.sio = socketio.AsyncClient(reconnection=False, **options)
        self.events: dict[str, list[tuple[float, Any]]] = {"vitals": [], "status": []}
        self.connect_errors: list[Any] = []
        self.disconnected_at: float | None = None
        self.disconnect_reason: Any = None
        self._arrived = asyncio.Condition()
        for name in self.events:
            self.sio.on(name, self._recorder(name))
        self.sio.on("connect_error", self._connect_error)
        self.sio.on("disconnect", self._disconnect)

    async def connect(
        self,
        url: str,
        *,
        auth: Any = None,
        transports: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        await self.sio.connect(
            url,
            auth=auth,
            transports=transports or ["websocket"],
            headers=headers or {},
            wait_timeout=5,
        )

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()
        await self.sio.shutdown()

    def vitals(self) -> list[dict[str, Any]]:
        return [data for _, data in self.events["vitals"]]

    def routes(self) -> list[str]:
        return [pv["route"] for event in self.vitals() for pv in event["page_views"]]

    def count(self, metric: str = "LCP") -> int:
        return sum(event["counts"].get(metric, 0) for event in self.vitals())

    async def wait_for(self, predicate: Any, timeout: float = 1.0) -> None:
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(predicate), timeout)

    async def emit(self, event: str, data: Any) -> Any:
        return await self.sio.call(event, data, timeout=5)

    def _recorder(self, name: str) -> Any:
        async def record(data: Any) -> None:
            async with self._arrived:
                self.events[name].append((time.monotonic(), data))
                self._arrived.notify_all()

        return record

    async def _connect_error(self, data: Any) -> None:
        self.connect_errors.append(data)

    async def _disconnect(self, reason: Any = None) -> None:
        async with self._arrived:
            self.disconnected_at = time.monotonic()
            self.disconnect_reason = reason
            self._arrived.notify_all()
