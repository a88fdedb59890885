"""`python -m bench.realtime`: fan-out latency and CPU of one realtime server, on loopback.

1. fanout_1000: 1,000 clients on one project; a full-sized batch (~6 KB event: 20 page
   views, five metrics' bins) is published every 0.5 s (slower than the 4/s bound, so
   every batch is its own event); latency from the publisher's XADD to receipt at each
   client, and to the last client of each event.
2. projects_100x10: 100 projects × 10 clients, every project receiving 10 batches/s (over
   the bound, so events merge; one page view each, so every batch's marker survives the
   merge's page-view cap); latency from each batch's XADD to the receipt of the event
   that carries it (this includes the throttle's hold, ≤ 250 ms by design), and the
   highest event rate any project reached.

The server's CPU is its process's user+system time over the measured phase, as a share
of one core; its CPU wait is the time its event loop was runnable but had no CPU (from
/proc/<pid>/schedstat: when high, the machine, not the server, set the latency). The
clients' CPU (this process) and the 1-minute load average go out with them: on a shared
machine latency tails say as much about the neighbours as about the server. Redis and the
server are private processes on 127.0.0.1. The last line printed is one JSON object with
every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import uvloop

from bench.realtime.scenarios import fanout, projects
from bench.realtime.server import realtime_server

TARGET_P95_MS = 200


async def run(args: argparse.Namespace) -> dict[str, float]:
    with realtime_server() as (service, settings):
        figures = await fanout(service, settings, args.clients, args.rounds)
        print(json.dumps(figures), file=sys.stderr)
        figures |= await projects(service, settings, args.projects, args.per_project, args.seconds)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.realtime", description=__doc__)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--per-project", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    f = uvloop.run(run(args))
    # Shared machines skew latency: the load during the run goes out with the figures.
    f["loadavg_1m"] = round(os.getloadavg()[0], 2)
    target = "met" if f["fanout_1000_p95_ms"] <= TARGET_P95_MS else "MISSED"
    print(
        f"fan-out to {args.clients} clients: p50 {f['fanout_1000_p50_ms']} ms, "
        f"p95 {f['fanout_1000_p95_ms']} ms (target ≤ {TARGET_P95_MS} ms: {target}), "
        f"server CPU {f['fanout_1000_server_cpu_pct']} % "
        f"(waiting for a CPU {f['fanout_1000_server_cpu_wait_pct']} %)"
    )
    print(
        f"{args.projects} projects × {args.per_project} clients at "
        f"{f['projects_100x10_batches_per_s']} batches/s: "
        f"p50 {f['projects_100x10_p50_ms']} ms, p95 {f['projects_100x10_p95_ms']} ms, "
        f"max {f['projects_100x10_max_events_per_project_s']} events/s per project, "
        f"server CPU {f['projects_100x10_server_cpu_pct']} % "
        f"(waiting for a CPU {f['projects_100x10_server_cpu_wait_pct']} %)"
    )
    print(f"load average {f['loadavg_1m']} on {os.cpu_count()} CPUs")
    print(json.dumps(f))


if __name__ == "__main__":
    main()
