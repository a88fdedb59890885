"""The job contract between ingest (producer) and workers (consumer).

Ingest enqueues by dotted path so it never imports worker code; payloads are JSON-safe
(RQ's JSONSerializer), never pickles of our own objects.
"""

from __future__ import annotations

QUEUE_NAME = "beacons"
# The worker function that handles a batch of accepted beacons.
BEACONS_RECEIVED = "services.workers.jobs.beacons_received"
