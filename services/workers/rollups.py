"""Exact rollup maintenance for the Apache edition, where `vitals_hourly` and `vitals_daily`
are plain hypertables instead of continuous aggregates.

Each row the raw upsert wrote adds one sample at its (bucket, page, device, rating, bin);
a row it replaced takes one away at the old row's. The buckets are computed by SQL's
`time_bucket`, exactly as the Timescale edition's continuous aggregates compute them.
Rows that reach zero are deleted, so both editions hold the same rows: a continuous
aggregate has no zero-count groups either.

Exactness needs the replaced row's values as they were when the upsert replaced it;
store.py guarantees that by serialising writers per project (advisory lock).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from services.contracts.database import Connection

# The delta rows, one per sample added (+1) or removed (-1).
_DELTAS = """
unnest($1::timestamptz[], $2::int[], $3::int2[], $4::int8[], $5::int2[], $6::int2[],
       $7::int2[], $8::int[])
    AS d(time, project_id, metric, page_id, device, rating, bin, delta)
"""
_APPLY = """
INSERT INTO {table} AS r (bucket, project_id, metric, page_id, device, rating, bin, samples)
SELECT time_bucket(INTERVAL '{width}', d.time), d.project_id, d.metric, d.page_id, d.device,
       d.rating, d.bin, sum(d.delta)
FROM {deltas}
GROUP BY 1, 2, 3, 4, 5, 6, 7
HAVING sum(d.delta) <> 0
ORDER BY 2, 1, 3, 4, 5, 6, 7  -- the primary key's order: one row-lock order for all writers
ON CONFLICT (project_id, bucket, metric, page_id, device, rating, bin)
DO UPDATE SET samples = r.samples + excluded.samples
"""
_DELETE_EMPTY = """
DELETE FROM {table} AS r
USING (SELECT DISTINCT time_bucket(INTERVAL '{width}', d.time) AS bucket, d.project_id,
              d.metric, d.page_id, d.device, d.rating, d.bin
       FROM {deltas} WHERE d.delta < 0) AS k
WHERE r.project_id = k.project_id AND r.bucket = k.bucket AND r.metric = k.metric
  AND r.page_id = k.page_id AND r.device = k.device AND r.rating = k.rating AND r.bin = k.bin
  AND r.samples = 0
"""
APPLY_HOURLY = _APPLY.format(table="vitals_hourly", width="1 hour", deltas=_DELTAS)
APPLY_DAILY = _APPLY.format(table="vitals_daily", width="1 day", deltas=_DELTAS)
DELETE_EMPTY_HOURLY = _DELETE_EMPTY.format(table="vitals_hourly", width="1 hour", deltas=_DELTAS)
DELETE_EMPTY_DAILY = _DELETE_EMPTY.format(table="vitals_daily", width="1 day", deltas=_DELTAS)


class Sample(msgspec.Struct, frozen=True, gc=False):
    """The rollup coordinates of one raw row."""

    time: datetime
    project_id: int
    metric: int
    page_id: int
    device: int
    rating: int
    bin: int


class Deltas:
    """Column arrays of +1 / -1 samples, the shape `unnest` takes."""

    def __init__(self) -> None:
        self.columns: tuple[list[object], ...] = tuple([] for _ in range(8))

    def add(self, sample: Sample, delta: int) -> None:
        values = (*msgspec.structs.astuple(sample), delta)
        for column, value in zip(self.columns, values, strict=True):
            column.append(value)

    @property
    def removes_any(self) -> bool:
        return any(delta < 0 for delta in self.columns[7])  # type: ignore[operator]

    def __len__(self) -> int:
        return len(self.columns[0])


async def apply_deltas(connection: Connection, deltas: Deltas) -> None:
    if not deltas:
        return
    await connection.execute(APPLY_HOURLY, *deltas.columns)
    await connection.execute(APPLY_DAILY, *deltas.columns)
    if deltas.removes_any:
        await connection.execute(DELETE_EMPTY_HOURLY, *deltas.columns)
        await connection.execute(DELETE_EMPTY_DAILY, *deltas.columns)
