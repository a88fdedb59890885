"""Which TimescaleDB edition a benchmark measured, asked of the database it measured.

Every benchmark's JSON line carries it, read from the server itself (not from
VITALS_EDITION), so a figure cannot be filed under the wrong edition.
"""

from __future__ import annotations

from typing import Literal

import asyncpg

Edition = Literal["apache", "timescale"]


async def database_edition(url: str) -> Edition:
    """`timescale` or `apache`; the database must have the extension (any migrated one does)."""
    connection = await asyncpg.connect(url)
    try:
        license_name = await connection.fetchval("SHOW timescaledb.license")
    finally:
        await connection.close()
    return "timescale" if license_name == "timescale" else "apache"
