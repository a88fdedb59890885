"""`python -m bench.ingest.load`: an open-loop load generator for POST /v1/beacon.

Request i is due at start + i / rate whatever happened before it, and its latency runs
from that due time to the last byte of the answer: when the server (or this process)
falls behind, the wait counts, instead of the generator politely slowing down with the
server (coordinated omission). A due request takes an idle keep-alive connection or
waits in a backlog for one; the backlog wait counts too.

It speaks HTTP/1.1 through bare asyncio protocols on uvloop, not an HTTP client library:
aiohttp or httpx cost 100-200 µs of CPU per request, which on two cores would be taken
from the server under test; here a request costs one pre-rendered bytes join and a
status-line parse. It runs in its own process (the server's CPU is not ours), on
loopback only, and stops at `duration + DRAIN_S` whatever the server does. Results go
to a JSON file: latency percentiles, status counts, and the 202 wall-clock time of every
`tag_every`-th beacon for the end-to-end lag.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import math
import resource
import time
from collections.abc import Callable
from pathlib import Path

import uvloop

from bench.ingest.beacons import BeaconSet
from bench.ingest.stats import latency_summary

DRAIN_S = 10.0  # answers still missing this long after the last send count as lost
LOOPBACK = "127.0.0.1"
SLOW_S = 0.25  # issue 16's ingest p99 target: each second counts the requests over it


class HttpConnection(asyncio.Protocol):
    """One keep-alive connection carrying one request at a time."""

    def __init__(self, on_answer: Callable[[HttpConnection, int], None]) -> None:
        self._on_answer = on_answer
        self._buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.seq = -1  # the request in flight, -1 when idle
        self.due = 0.0
        self.sent_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, seq: int, due: float, request: bytes) -> None:
        self.seq, self.due, self.sent_at = seq, due, time.perf_counter()
        assert self.transport is not None
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(buffer[:end]).lower() + b"\r\n"
        at = head.find(b"\r\ncontent-length:")
        length = int(head[at + 17 : head.find(b"\r\n", at + 2)]) if at >= 0 else 0
        if len(buffer) < end + 4 + length:
            return
        status = int(buffer[9:12])
        del buffer[: end + 4 + length]
        self._on_answer(self, status)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.seq >= 0:
            self._on_answer(self, 0)  # status 0: the connection dropped mid-request


class OpenLoop:
    def __init__(
        self, beacons: BeaconSet, *, rate: float, duration_s: float, tag_every: int
    ) -> None:
        self.beacons = beacons
        self.rate = rate
        self.total = int(rate * duration_s)
        self.tag_every = tag_every
        self.latencies: list[float] = []
        self.answer_times: list[float] = []  # from the send, without the wait for a connection
        self.statuses: collections.Counter[int] = collections.Counter()
        self.tagged: list[tuple[int, float]] = []  # (seq, wall-clock time of its 202)
        self.max_backlog = 0
        self.started_at = 0.0
        # Per second of due time: [answered, over SLOW_S, slowest, slowest from send to
        # answer], to see when it was slow, and whether the server or a wait for a free
        # connection here made it so.
        self.seconds: collections.defaultdict[int, list[float]] = collections.defaultdict(
            lambda: [0, 0, 0.0, 0.0]
        )
        self._start = 0.0
        # First in, first out: every connection carries a request every connections/rate
        # seconds. Last in, first out left the ones at the bottom idle past uvicorn's 5 s
        # keep-alive timeout; the server closed them, and the pool shrank through a long
        # run until requests queued here for one (issue 16: ingest p99 of seconds late in
        # 10-minute runs while every answer took under 0.3 s once sent).
        self._idle: collections.deque[HttpConnection] = collections.deque()
        self.connections: list[HttpConnection] = []
        self._backlog: collections.deque[tuple[int, float]] = collections.deque()
        self._answered = 0
        self._all_answered = asyncio.Event()

    async def run(self, port: int, connections: int) -> float:
        loop = asyncio.get_running_loop()
        for _ in range(connections):
            _, connection = await loop.create_connection(
                lambda: HttpConnection(self._answer), LOOPBACK, port
            )
            self._idle.append(connection)
            self.connections.append(connection)
        # perf_counter, not loop.time(): uvloop's clock ticks in whole milliseconds.
        start = self._start = time.perf_counter() + 0.05
        self.started_at = time.time() + 0.05  # the same instant, on the wall clock
        sent = 0
        while sent < self.total:
            due_now = min(self.total, int((time.perf_counter() - start) * self.rate) + 1)
            while sent < due_now:
                self._dispatch(sent, start + sent / self.rate)
                sent += 1
            self.max_backlog = max(self.max_backlog, len(self._backlog))
            # At least a millisecond: uvloop's timers tick in whole ms, and a shorter sleep
            # returns at once and spins. Requests a tick late still count from their due time.
            await asyncio.sleep(max(0.001, start + sent / self.rate - time.perf_counter()))
        sent_by = time.perf_counter() - start
        try:
            async with asyncio.timeout(DRAIN_S):
                await self._all_answered.wait()
        except TimeoutError:
            pass
        # Unanswered requests are infinitely late: they weigh on the percentiles.
        self.latencies.extend([math.inf] * (self.total - self._answered))
        return sent_by

    def _dispatch(self, seq: int, due: float) -> None:
        while self._idle:
            connection = self._idle.popleft()
            if connection.transport is not None:  # the server may have closed it while idle
                connection.send(seq, due, self.beacons.request(seq))
                return
        self._backlog.append((seq, due))

    def _answer(self, connection: HttpConnection, status: int) -> None:
        now = time.perf_counter()
        seq = connection.seq
        latency = now - connection.due
        self.latencies.append(latency)
        self.answer_times.append(now - connection.sent_at)
        second = self.seconds[int(connection.due - self._start)]
        second[0] += 1
        second[1] += latency > SLOW_S
        second[2] = max(second[2], latency)
        second[3] = max(second[3], self.answer_times[-1])
        self.statuses[status] += 1
        if status == 202 and seq % self.tag_every == 0:
            self.tagged.append((seq, time.time()))
        connection.seq = -1
        self._answered += 1
        if self._answered == self.total:
            self._all_answered.set()
        if connection.transport is None:
            return  # dropped; the remaining connections carry the backlog
        if self._backlog:
            next_seq, due = self._backlog.popleft()
            connection.send(next_seq, due, self.beacons.request(next_seq))
        else:
            self._idle.append(connection)


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.ingest.load", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--run", required=True, help="run id, spliced into every metric id")
    parser.add_argument("--origin-ms", type=int, required=True, help="see BeaconSet")
    parser.add_argument("--rate", type=float, required=True, help="beacons per second")
    parser.add_argument("--duration", type=float, required=True, help="seconds of sending")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--tag-every", type=int, default=1_000_000_000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    beacons = BeaconSet(
        run=args.run, origin_ms=args.origin_ms, key=args.key,
        host=f"{LOOPBACK}:{args.port}",
    )  # fmt: skip
    generator = OpenLoop(
        beacons, rate=args.rate, duration_s=args.duration, tag_every=args.tag_every
    )
    sent_by = uvloop.run(generator.run(args.port, args.connections))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "scheduled": generator.total,
        "started_at": generator.started_at,
        "sent_within_s": sent_by,
        "statuses": {str(k): v for k, v in sorted(generator.statuses.items())},
        "latency_ms": latency_summary(generator.latencies),
        "answer_ms": latency_summary(generator.answer_times),
        "max_backlog": generator.max_backlog,
        "connections_open_at_end": sum(1 for c in generator.connections if c.transport),
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "tagged": generator.tagged,
        "seconds": [[s, *counts] for s, counts in sorted(generator.seconds.items())],
    }
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
