"""`python -m bench.faults [--quick] [--scenario NAME]`: the faults of issue 12 under load.

Each scenario starts ingest and two workers under `vitals up`'s supervisor (which
restarts a child that exits, with backoff) on a private PostgreSQL cluster and a private
Redis, offers a steady 200 beacons/s of five reports each (every beacon its own page
view, every answer recorded), injects one fault, lifts it, lets the queue drain, and
checks the database against every 202. The first scenario, `no_fault`, is the control:
the same load with nothing broken, to read the others' figures against on a busy machine.
Per scenario:

- acknowledged / stored / lost: reports answered 202, how many of those are stored, and
  how many are not;
- duplicates: raw rows held twice plus rollup samples beyond a recount of the raw rows
  (`rollup_missing`: samples short of it);
- max_unavailable_s: the longest stretch in which no beacon got a 202;
- drain_s: from the fault's end until the backlog was back to its level before the fault
  and everything sent before the end that will be stored was (null: not within the run);
- failed: jobs in the failed registry (the most seen at any time);
- supervisor_restarts: children the supervisor had to start again.

Figures are reported as measured, never asserted: the system is expected to heal, and the
bench says whether it did. The last line is one JSON object with the totals (`lost`,
`duplicates`, `failed`), the worst `max_unavailable_s`, and every scenario's figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from bench.faults.scenarios import SCENARIOS
from bench.faults.suite import RATE, plan, run_suite

if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        prog="python -m bench.faults",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="short load and faults (smoke)")
    parser.add_argument("--scenario", action="append", choices=list(SCENARIOS),
                        help="run only this scenario (repeatable)")  # fmt: skip
    parser.add_argument("--rate", type=float, default=RATE, help="beacons per second")
    parser.add_argument(
        "--hold-s", type=float, help="hold each non-kill fault this long (400: past all retries)"
    )
    args = parser.parse_args()
    chosen = tuple(args.scenario or SCENARIOS)
    result = asyncio.run(run_suite(plan(args.quick, chosen, args.rate, args.hold_s)))
    print(json.dumps(result), flush=True)
