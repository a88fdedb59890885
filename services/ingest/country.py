"""Where a beacon's country comes from: a trusted CDN header when one is configured and the
request carries it; otherwise the client's address, looked up in DB-IP's table (geo.py).

The table takes about a second of CPU to read, so it is read in a thread after start
(SQLite releases the GIL meanwhile): ingest serves at once, and the beacons of that first
second get a country only from a CDN header. /ready does not wait for it: a beacon without
a country is still a good beacon.
"""

from __future__ import annotations

import asyncio

from services.contracts.settings import Settings
from services.ingest.client_address import client_address
from services.ingest.geo import CountryTable, load_country_table


class CountrySource:
    def __init__(self, *, header: str | None, from_address: bool, proxy_hops: int) -> None:
        # ASGI delivers header names lower-cased, as bytes.
        self.header = header.lower().encode() if header else None
        self.from_address = from_address
        self.proxy_hops = proxy_hops
        self.table: CountryTable | None = None

    @classmethod
    def of(cls, settings: Settings) -> CountrySource:
        return cls(
            header=settings.country_header,
            from_address=settings.country_from_address,
            proxy_hops=settings.trusted_proxy_hops,
        )

    async def load(self) -> None:
        if self.from_address:
            self.table = await asyncio.to_thread(load_country_table)

    def country(self, header_value: bytes | None, peer: str | None, forwarded: list[bytes]) -> str:
        """`header_value`: the configured header's, if it came; `forwarded`: X-Forwarded-For's."""
        if header_value is not None:
            return header_country(header_value)
        if self.table is None:
            return ""
        address = client_address(peer, forwarded, self.proxy_hops)
        return "" if address is None else self.table.country(address)


def header_country(value: bytes) -> str:
    """An ISO 3166 alpha-2 code, or "" (a proxy's placeholder such as T1 for Tor)."""
    code = value.decode("latin-1").strip().upper()
    return code if len(code) == 2 and code.isascii() and code.isalpha() else ""
