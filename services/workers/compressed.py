"""Late writes into compressed raw chunks (the Timescale edition compresses them after 3 days).

The raw upsert locks the rows it replaces (upsert.py), and PostgreSQL cannot lock a row
that lives inside a compressed batch ("locking compressed tuples is not supported"): one
late re-report would fail its whole batch, fresh reports included. Ingest refuses page
views older than 48 hours, so only a job retried long after the fact (`vitals jobs
retry-failed`, a parked beacon) reaches such a chunk. Then the days it touches are
decompressed first, in the batch's transaction; the compression policy compresses them
again on its next run. Decompressing a day costs seconds, paid only on that rare path:
normal traffic never pays for the catalog read either. On the Apache edition nothing is
ever compressed and the read finds nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.contracts.database import Connection

# Below the policy's 3-day age with a day to spare, and older than anything ingest accepts
# (48 hours), so the check never runs for fresh traffic.
MAY_BE_COMPRESSED_AFTER = timedelta(days=2)

DECOMPRESS_TOUCHED = """
SELECT count(decompress_chunk(format('%I.%I', chunk_schema, chunk_name)::regclass))
FROM timescaledb_information.chunks
WHERE hypertable_schema = current_schema() AND hypertable_name = 'vitals'
  AND is_compressed AND range_end > $1 AND range_start <= $2
"""


async def decompress_if_late(connection: Connection, earliest: datetime, latest: datetime) -> int:
    """Decompress the raw chunks holding [earliest, latest]; returns how many were."""
    if earliest > datetime.now(UTC) - MAY_BE_COMPRESSED_AFTER:
        return 0
    decompressed: int = await connection.fetchval(DECOMPRESS_TOUCHED, earliest, latest)
    return decompressed
