"""Natural batching: many concurrent callers, one Redis round trip per batch.

At thousands of beacons per second a Redis round trip per request would cost more CPU
than the request itself. Callers `submit` an item and wait; one flusher task hands
everything submitted so far (up to `max_items`) to `flush`, and while that runs the next
batch gathers. Under light load a batch is one item and waits at most `linger_s`; under
heavy load batches grow on their own, which is how group commit reaches its throughput.
The linger is asked for per batch, so the owner can lengthen it while its consumer lags.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Closed(ConnectionError):
    """Submitted after shutdown began: the caller answers as if its Redis were unreachable."""


class Coalescer(Generic[T, R]):
    def __init__(
        self,
        flush: Callable[[list[T]], Awaitable[Sequence[R]]],
        *,
        max_items: int,
        timeout_s: float,
        linger_s: Callable[[], float] = lambda: 0.0,
    ) -> None:
        self._flush = flush
        self._max_items = max_items
        self._timeout_s = timeout_s
        self._linger_s = linger_s
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._wakeup = asyncio.Event()
        self._full = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    async def submit(self, item: T) -> R:
        """The item's result once its batch is flushed; raises what the flush raised.

        A caller that gives up (its timer fired, or its request was cancelled) leaves its
        future done, so an item not yet flushed is skipped rather than written after its
        request was answered 503.
        """
        if self._closing:
            raise Closed("shutting down")
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done():  # started lazily, restarted if it died
            self._task = loop.create_task(self._run())
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((item, future))
        self._wakeup.set()
        if len(self._pending) >= self._max_items:
            self._full.set()
        # A caller may wait for the batch in flight and then its own: two flush timeouts.
        # A timer that fails the future, not `asyncio.timeout`: this runs for every
        # beacon, and the context manager cost several times more CPU (profiled).
        expiry = loop.call_later(2 * self._timeout_s, _expire, future)
        try:
            return await future
        finally:
            expiry.cancel()

    async def aclose(self) -> None:
        """Flush what is pending, then stop: a graceful shutdown answers every caller."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            if not self._pending and self._closing:
                return
            linger_s = self._linger_s()
            if linger_s and len(self._pending) < self._max_items and not self._closing:
                try:
                    async with asyncio.timeout(linger_s):
                        await self._full.wait()
                except TimeoutError:
                    pass
            batch = [(i, f) for i, f in self._pending[: self._max_items] if not f.done()]
            del self._pending[: self._max_items]
            if len(self._pending) < self._max_items:
                self._full.clear()
            if not self._pending and not self._closing:
                self._wakeup.clear()
            if batch:
                await self._flush_batch(batch)

    async def _flush_batch(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            async with asyncio.timeout(self._timeout_s):
                results = await self._flush([item for item, _ in batch])
        except Exception as exc:  # every caller of the batch gets the failure
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)


def _expire(future: asyncio.Future[R]) -> None:
    if not future.done():
        future.set_exception(TimeoutError("not flushed in time"))
