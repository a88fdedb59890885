"""`python -m bench.faults.load`: steady open-loop beacons, every answer recorded.

Beacon i is sent at start + i / rate whatever happened to the ones before it, as browsers
keep sending whether or not the server is well. Each is a page view of its own with five
reports (bench/ingest/beacons.py), so every acknowledged report can be looked for in the
database. A beacon that finds ingest gone fails at once (connection refused, status 0)
and is not retried: `sendBeacon` does not retry either. The client reconnects by itself,
so traffic resumes the moment ingest listens again.

Each of CONNECTIONS lanes keeps one keep-alive connection and sends one beacon at a
time, reconnecting after any error; a beacon that waits for a free lane longer than a
browser would wait for an answer is given up. (bench/ingest's generator never reconnects;
httpx's pool, tried first, got stuck in pool timeouts for minutes once ingest was killed.)
Every answer goes to a JSON file as [seq, status, wall-clock time], and the reasons for
the missing ones (refused, timed out, reset) are counted.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import time
from pathlib import Path

import uvloop

from bench.ingest.beacons import BeaconSet

LOOPBACK = "127.0.0.1"
# A browser gives up on a beacon after seconds; an answer later than this counts as none.
ANSWER_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 2.0
CONNECTIONS = 64
# One beacon's answers: [seq, HTTP status (0: none), wall-clock time of the answer].
Answer = tuple[int, int, float]
Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class SteadyLoad:
    def __init__(
        self, beacons: BeaconSet, port: int, *, rate: float, duration_s: float, start_at: float
    ) -> None:
        self.beacons = beacons
        self.port = port
        self.rate = rate
        self.total = int(rate * duration_s)
        self.start_at = start_at  # wall clock of beacon 0's due time
        self.answers: list[Answer] = []
        self.errors: collections.Counter[str] = collections.Counter()  # why no answer
        self._due: asyncio.Queue[tuple[int, float]] = asyncio.Queue()

    async def run(self) -> None:
        lanes = [asyncio.create_task(self._lane()) for _ in range(CONNECTIONS)]
        # The schedule is fixed on the wall clock by the caller, who times its faults
        # against it; perf_counter keeps the pace.
        start = time.perf_counter() + (self.start_at - time.time())
        for seq in range(self.total):
            due = start + seq / self.rate
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            self._due.put_nowait((seq, due))
        await self._due.join()
        for lane in lanes:
            lane.cancel()

    async def _lane(self) -> None:
        """One keep-alive connection sending one beacon at a time, reconnecting as needed."""
        connection: Connection | None = None
        while True:
            seq, due = await self._due.get()
            if time.perf_counter() - due > ANSWER_TIMEOUT_S:
                self._answer(seq, 0, "waited_for_a_lane")
            else:
                connection = await self._send(connection, seq)
            self._due.task_done()

    async def _send(self, connection: Connection | None, seq: int) -> Connection | None:
        """Sends beacon `seq`; the connection to use next (None: open a new one)."""
        # A kept-alive connection the server closed while idle fails before any byte of
        # an answer; like a browser, send once more on a new one.
        for reused in (connection is not None, False):
            try:
                if connection is None:
                    connection = await asyncio.wait_for(
                        asyncio.open_connection(LOOPBACK, self.port), CONNECT_TIMEOUT_S
                    )
                status = await asyncio.wait_for(
                    _exchange(*connection, self.beacons.request(seq)), ANSWER_TIMEOUT_S
                )
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
                if connection is not None:
                    connection[1].close()
                connection = None
                stale = isinstance(error, asyncio.IncompleteReadError) and not error.partial
                if not (reused and stale):
                    self._answer(seq, 0, type(error).__name__)
                    return None
            else:
                self._answer(seq, status)
                return connection
        return None

    def _answer(self, seq: int, status: int, error: str = "") -> None:
        self.answers.append((seq, status, time.time()))
        if error:
            self.errors[error] += 1


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    """Writes the request and reads the whole answer; its status."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            length = int(line[15:])
    await reader.readexactly(length)
    return status


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.faults.load", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--run", required=True, help="run id, spliced into every metric id")
    parser.add_argument("--origin-ms", type=int, required=True, help="see BeaconSet")
    parser.add_argument("--rate", type=float, required=True, help="beacons per second")
    parser.add_argument("--duration", type=float, required=True, help="seconds of sending")
    parser.add_argument("--start-at", type=float, required=True, help="epoch s of beacon 0")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    host = f"{LOOPBACK}:{args.port}"
    beacons = BeaconSet(run=args.run, origin_ms=args.origin_ms, key=args.key, host=host)
    load = SteadyLoad(
        beacons, args.port, rate=args.rate, duration_s=args.duration, start_at=args.start_at
    )
    uvloop.run(load.run())
    result = {
        "start_at": load.start_at, "rate": args.rate, "answers": load.answers,
        "errors": dict(load.errors),
    }  # fmt: skip
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
