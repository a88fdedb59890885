"""`python -m bench.faults.supervised --base-port N`: ingest and two workers under the
supervisor behind `vitals up` (services/cli/supervisor.py), its restart policy included.

`vitals up` itself would also start query and realtime, which no fault here touches and
which would take CPU from the services under test on a small machine; this runs the same
`supervisor.run` over the same service commands, minus those two.
"""

from __future__ import annotations

import argparse
import sys

from services.cli import supervisor

WORKERS = 2
HOST = "127.0.0.1"


def services(base_port: int) -> list[supervisor.Service]:
    every = supervisor.default_services(HOST, base_port, WORKERS)
    return [s for s in every if s.name == "ingest" or s.name.startswith("worker-")]


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.faults.supervised", description=__doc__)
    parser.add_argument("--base-port", type=int, required=True)
    args = parser.parse_args()
    sys.exit(supervisor.run(services(args.base_port)))


if __name__ == "__main__":
    main()
