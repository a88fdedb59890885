"""The coalescer batches concurrent callers and hands each its own result or the batch's error."""

from __future__ import annotations

import asyncio

import pytest

from services.ingest.coalescer import Closed, Coalescer


class Recorder:
    """A flush that records its batches and can be made slow or failing."""

    def __init__(self, delay_s: float = 0.0, error: Exception | None = None) -> None:
        self.batches: list[list[int]] = []
        self.delay_s = delay_s
        self.error = error

    async def __call__(self, items: list[int]) -> list[int]:
        self.batches.append(list(items))
        await asyncio.sleep(self.delay_s)
        if self.error is not None:
            raise self.error
        return [item * 10 for item in items]


class TestCoalescer:
    async def test_each_caller_gets_its_own_result(self) -> None:
        """Results are matched to callers by position, whatever the batching."""
        coalescer = Coalescer(Recorder(), max_items=7, timeout_s=1.0)
        results = await asyncio.gather(*(coalescer.submit(i) for i in range(50)))
        await coalescer.aclose()
        assert results == [i * 10 for i in range(50)]

    async def test_callers_arriving_during_a_flush_share_the_next(self) -> None:
        """While one flush runs, everyone who arrives waits and goes out together in the next batch."""
        flush = Recorder(delay_s=0.05)
        coalescer = Coalescer(flush, max_items=1000, timeout_s=1.0)
        first = asyncio.ensure_future(coalescer.submit(0))
        await asyncio.sleep(0.01)  # the first flush is now in flight
        await asyncio.gather(first, *(coalescer.submit(i) for i in range(1, 31)))
        await coalescer.aclose()
        assert flush.batches == [[0], list(range(1, 31))]

    async def test_batches_never_exceed_max_items(self) -> None:
        """A burst larger than max_items is cut into batches of at most max_items."""
        flush = Recorder(delay_s=0.01)
        coalescer = Coalescer(flush, max_items=10, timeout_s=1.0)
        await asyncio.gather(*(coalescer.submit(i) for i in range(95)))
        await coalescer.aclose()
        assert max(len(b) for b in flush.batches) == 10
        assert sorted(i for b in flush.batches for i in b) == list(range(95))

    async def test_linger_gathers_a_light_load(self) -> None:
        """With a linger, callers a moment apart still share a batch."""
        flush = Recorder()
        coalescer = Coalescer(flush, max_items=100, timeout_s=1.0, linger_s=lambda: 0.05)

        async def later(i: int) -> int:
            await asyncio.sleep(0.005 * i)
            return await coalescer.submit(i)

        await asyncio.gather(*(later(i) for i in range(5)))
        await coalescer.aclose()
        assert flush.batches == [[0, 1, 2, 3, 4]]

    async def test_a_failed_flush_fails_every_caller_of_its_batch(self) -> None:
        """The flush's exception reaches every caller of that batch."""
        coalescer = Coalescer(Recorder(error=OSError("down")), max_items=100, timeout_s=1.0)
        results = await asyncio.gather(
            *(coalescer.submit(i) for i in range(5)), return_exceptions=True
        )
        await coalescer.aclose()
        assert all(isinstance(r, OSError) for r in results)

    async def test_a_stuck_flush_times_out(self) -> None:
        """A flush slower than the timeout fails its callers with TimeoutError instead of hanging them."""
        coalescer = Coalescer(Recorder(delay_s=5), max_items=100, timeout_s=0.1)
        with pytest.raises(TimeoutError):
            await coalescer.submit(1)
        await coalescer.aclose()

    async def test_an_abandoned_item_is_not_flushed(self) -> None:
        """Items whose callers gave up while a backlog was ahead of them are dropped, never written after their 503."""
        flush = Recorder(delay_s=0.3)
        # One item per batch and a 0.8 s wait: items 0-2 go out by 0.6 s, 3 and 4 are abandoned first.
        coalescer = Coalescer(flush, max_items=1, timeout_s=0.4)
        results = await asyncio.gather(
            *(coalescer.submit(i) for i in range(5)), return_exceptions=True
        )
        await coalescer.aclose()
        assert flush.batches == [[0], [1], [2]]
        assert results[:2] == [0, 10]
        assert all(isinstance(r, TimeoutError) for r in results[2:])

    async def test_submit_after_close_raises_closed(self) -> None:
        """After close, submit raises Closed (a ConnectionError) rather than waiting forever."""
        coalescer = Coalescer(Recorder(), max_items=10, timeout_s=1.0)
        await coalescer.submit(1)
        await coalescer.aclose()
        with pytest.raises(Closed):
            await coalescer.submit(2)
