"""Neighbours taking a share of the machine while the together phase runs.

Issue 16 asks that half a core taken by other processes does not collapse the write
path. `--neighbour-cores 0.5` starts a process that spins until it has had 50 ms of CPU
in every 100 ms and sleeps the rest, outside the system under test: its CPU shows as
"other processes", not in the cores the system used. More than one core is spread over
as many processes.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

PERIOD_S = 0.1

# argv: the share of one core to take (0..1), the period in seconds.
_SPIN = """
import sys, time
share, period = float(sys.argv[1]), float(sys.argv[2])
while True:
    started, cpu = time.monotonic(), time.process_time()
    while time.process_time() - cpu < share * period:
        pass
    time.sleep(max(0.0, period - (time.monotonic() - started)))
"""


@contextmanager
def neighbours(cores: float) -> Iterator[None]:
    """`cores` of the machine taken by spinning processes while the block runs."""
    count = math.ceil(cores) if cores > 0 else 0
    spinners = [
        subprocess.Popen(  # noqa: S603 - our own argv, no shell
            [sys.executable, "-c", _SPIN, str(cores / count), str(PERIOD_S)]
        )
        for _ in range(count)
    ]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
