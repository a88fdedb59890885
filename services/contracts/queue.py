"""The job contract between ingest (producer) and workers (consumer).

Ingest enqueues by dotted path so it never imports worker code. The job's one argument
is a `BeaconBatch` encoded by msgspec to a JSON string (RQ's JSONSerializer carries it),
never a pickle of our own objects. Group commit: one job holds many beacons.
"""

from __future__ import annotations

import msgspec

from services.contracts.wire import Beacon

QUEUE_NAME = "beacons"
# The worker function that handles a batch of accepted beacons.
BEACONS_RECEIVED = "services.workers.jobs.beacons_received"
# Its jobs' RQ description (RQ would otherwise put the payload's repr there); the workers
# also recognise by it the queued batches they may merge (services/workers/absorption.py).
BEACONS_RECEIVED_DESCRIPTION = "beacons_received"
# A field ingest adds to each such job's RQ hash: how many beacons it holds, which the
# workers' claim reads without decoding the payload.
BEACONS_FIELD = "vitals_beacons"
MAX_BATCH_BEACONS = 500  # a group commit's cap: one COPY's worth for a worker, ~2,500 reports
# A beacon a batch could not store, parked by the workers in the failed registry (one
# BeaconBatch of one beacon); `vitals jobs retry-failed` runs it again.
BEACON_PARKED = "services.workers.jobs.beacon_parked"
# Retries back off so a PostgreSQL restart is waited out rather than hammered.
RETRY_INTERVALS_S = (1, 5, 15, 60, 300)


class AcceptedBeacon(msgspec.Struct, frozen=True, kw_only=True):
    """A beacon as ingest accepted it, with what only the request knew."""

    project_id: int  # from the key lookup, never from the body
    received_at: float  # epoch ms at ingest; orders re-reports of one metric id
    user_agent: str = ""
    country: str = ""  # a CDN header or the client address looked up; never the address
    beacon: Beacon


class BeaconBatch(msgspec.Struct, frozen=True, kw_only=True):
    v: int = 1
    beacons: list[AcceptedBeacon]


encode_batch = msgspec.json.Encoder().encode
_batch_decoder = msgspec.json.Decoder(BeaconBatch)


def decode_batch(payload: str | bytes) -> BeaconBatch:
    return _batch_decoder.decode(payload)
