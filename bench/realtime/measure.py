"""What the benchmark measures: latency per receipt, and a process's CPU and CPU wait."""

from __future__ import annotations

import os
import time
from collections import defaultdict

MARKER = "/r/"  # a page view whose route is /r/<seq> marks the batch published as <seq>


def percentile(values: list[float], q: float) -> float:
    """Nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


class Receipts:
    """Publish times by sequence number, and every client's receipt of every one of them."""

    def __init__(self) -> None:
        self.published: dict[int, float] = {}
        self.latencies: dict[int, list[float]] = defaultdict(list)
        self.events: dict[int, int] = defaultdict(int)  # project -> receipts of `vitals`

    def sink(self, received: float, name: str, payload: dict[str, object]) -> None:
        if name != "vitals":
            return
        self.events[int(str(payload["project_id"]))] += 1
        views = payload["page_views"]
        assert isinstance(views, list)
        for view in views:
            route = view["route"]
            if route.startswith(MARKER):
                seq = int(route[len(MARKER) :])
                self.latencies[seq].append(received - self.published[seq])

    def all_ms(self) -> list[float]:
        return [1000 * latency for values in self.latencies.values() for latency in values]

    def last_client_ms(self) -> list[float]:
        return [1000 * max(values) for values in self.latencies.values() if values]


class Usage:
    """CPU of a server process and of this one, and the server's wait for a CPU, since start."""

    def __init__(self, server_pid: int) -> None:
        self.pid = server_pid
        self._wall = time.perf_counter()
        self._server = self._server_cpu_s()
        self._own = time.process_time()
        self._waited = self._server_wait_s()

    def shares_pct(self) -> tuple[float, float, float]:
        """(server CPU, server CPU wait, own CPU), each as % of one core over the wall time."""
        wall = time.perf_counter() - self._wall
        return (
            round(100 * (self._server_cpu_s() - self._server) / wall, 1),
            round(100 * (self._server_wait_s() - self._waited) / wall, 1),
            round(100 * (time.process_time() - self._own) / wall, 1),
        )

    def _server_cpu_s(self) -> float:
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _server_wait_s(self) -> float:
        """Time the main thread (the event loop) was runnable but had no CPU."""
        with open(f"/proc/{self.pid}/schedstat") as schedstat:
            return int(schedstat.read().split()[1]) / 1e9
