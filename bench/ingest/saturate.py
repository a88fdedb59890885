"""Maximum accepted beacons per second, measured with wrk (Debian's `wrk`).

wrk is closed loop (each connection sends its next request when the answer arrives), which
is right for a saturation figure and wrong for latency, so only its throughput is used.
Written in C with one thread, it leaves the server nearly both cores; a Python generator
fast enough to saturate ingest would take one of them. Every wrk request is the same
beacon (ingest does not deduplicate, and no worker runs during this phase).
"""

from __future__ import annotations

import json
import re
import resource
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.ingest.beacons import PATH, BeaconSet

THREADS = 1  # at most one core for the generator; the server keeps the other
# Each request waits for its group commit (the 10 ms linger, then a Redis round trip), so
# a closed loop of c connections cannot exceed about c / 12 ms: 64 capped the figure at
# ~2,500/s with ingest's CPU a third idle. Browsers come from thousands of connections;
# 512 leaves the server, not the loop, as the limit.
CONNECTIONS = 512


class WrkMissing(RuntimeError):
    pass


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise WrkMissing("wrk is not installed: `apt-get install wrk` (Debian), then re-run")
    return path


def saturate(port: int, key: str, beacons: BeaconSet, duration_s: float) -> dict[str, float]:
    """wrk against POST /v1/beacon: accepted (202) beacons per second, and wrk's own CPU."""
    script = "wrk.method = 'POST'\nwrk.body = " + _lua_string(beacons.body(0)) + "\n"
    script += "".join(
        f"wrk.headers[{_lua_string(n.encode())}] = {_lua_string(v.encode())}\n"
        for n, v in beacons.headers(0).items()
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    before = _children_cpu_s()
    try:
        command = [
            wrk_path(), f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration_s:g}s",
            "--timeout", "5s", "-s", file.name, f"http://127.0.0.1:{port}{PATH}?key={key}",
        ]  # fmt: skip
        completed = subprocess.run(  # noqa: S603 - our own argv, no shell
            command, capture_output=True, text=True, timeout=duration_s + 30, check=True
        )
    finally:
        Path(file.name).unlink()
    return {**_parse(completed.stdout), "wrk_cpu_s": _children_cpu_s() - before}


_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def _parse(output: str) -> dict[str, float]:
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", output)
    if total is None:
        raise RuntimeError(f"unexpected wrk output: {output}")
    requests, elapsed = int(total.group(1)), float(total.group(2)) * _UNITS[total.group(3)]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    refused = int(non_2xx.group(1)) if non_2xx else 0
    return {
        # Every 2xx is a 202 here: the endpoint answers nothing else that is a success.
        "accepted_per_s": (requests - refused) / elapsed,
        "requests": requests,
        "refused": refused,
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
        "seconds": elapsed,
    }


def _lua_string(value: bytes) -> str:
    return json.dumps(value.decode())  # a JSON string literal is a valid Lua one for ASCII


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
