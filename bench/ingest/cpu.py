"""CPU accounting from /proc: what our processes used, and what everything else did.

The machine is two cores, shared with whatever else runs (other engineers' test suites
included). A throughput figure alone cannot tell a slow server from a busy machine, so
each phase also reports CPU seconds per beacon of every process under test, and how many
cores the rest of the machine took meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable
from pathlib import Path

TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants (uvicorn --workers N forks its workers)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):  # the task ended meanwhile
                pending.extend(int(c) for c in (task / "children").read_text().split())
    return found


def cpu_s(pid: int) -> float:
    """User + system CPU of one process, including its reaped children; 0 once gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the ")": field 3 is index 0, so utime(14) stime(15) cutime(16) cstime(17).
    return sum(int(f) for f in fields[11:15]) * TICK_S


class CpuMeter:
    """CPU seconds used by a changing set of processes since `start`.

    Processes come and go (a burst worker exits, a pool opens a connection), and a gone
    process's CPU can no longer be read: `sample` remembers the last value of each, so
    call it now and then and once more just before processes are stopped.
    """

    def __init__(self, pids: Iterable[int] = ()) -> None:
        self._baseline = {pid: cpu_s(pid) for pid in pids}
        self._last = dict(self._baseline)
        self.history: list[tuple[float, float]] = []  # (wall time, used_s then)

    def sample(self, pids: Iterable[int]) -> None:
        for pid in pids:
            used = cpu_s(pid)
            if used or pid not in self._last:
                self._last[pid] = used
        self.history.append((time.time(), self.used_s()))

    def used_s(self, pids: Iterable[int] | None = None) -> float:
        """Of every process seen, or of `pids`; processes first seen after the start count
        from zero."""
        chosen = self._last if pids is None else {p: self._last.get(p, 0.0) for p in pids}
        return sum(last - self._baseline.get(pid, 0.0) for pid, last in chosen.items())


def machine_busy_s() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in fields[:7])
    return (user + nice + system + irq + softirq) * TICK_S


class Window:
    """A measured stretch of wall time: how busy the machine was, and not because of us."""

    def __init__(self) -> None:
        self._started = time.monotonic()
        self._busy = machine_busy_s()
        self._own = _own_cpu_s()

    def close(self, ours_s: float) -> dict[str, float]:
        """`ours_s`: CPU seconds of every process this bench started, in the window."""
        wall = time.monotonic() - self._started
        busy = machine_busy_s() - self._busy
        ours = ours_s + _own_cpu_s() - self._own
        return {
            "wall_s": wall,
            "machine_cores_busy": busy / wall,
            "other_cores_busy": max(0.0, busy - ours) / wall,
        }


def _own_cpu_s() -> float:
    times = os.times()
    return times.user + times.system
