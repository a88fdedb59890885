"""Which TimescaleDB edition the database runs, as far as the workers care.

On the Timescale-licensed edition `vitals_hourly` is a continuous aggregate that the
database maintains; on the Apache edition it is a plain hypertable that the workers keep
exact. The migration runner chose the files; the workers look at what it built, once per
process.
"""

from __future__ import annotations

from enum import Enum

from services.contracts.database import Connection

ROLLUPS_ARE_CONTINUOUS_AGGREGATES = """
SELECT EXISTS (
    SELECT 1 FROM timescaledb_information.continuous_aggregates
    WHERE view_schema = current_schema() AND view_name = 'vitals_hourly'
)
"""


class Edition(Enum):
    APACHE = "apache"  # the workers maintain the rollups
    TIMESCALE = "timescale"  # continuous aggregates maintain themselves

    @property
    def workers_maintain_rollups(self) -> bool:
        return self is Edition.APACHE


async def detect_edition(connection: Connection) -> Edition:
    continuous: bool = await connection.fetchval(ROLLUPS_ARE_CONTINUOUS_AGGREGATES)
    return Edition.TIMESCALE if continuous else Edition.APACHE
