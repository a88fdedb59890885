"""The address a beacon's country is looked up by: the socket peer, or the entry of
X-Forwarded-For that trusted_proxy_hops names from the right, whatever the client wrote;
and the country chosen from a CDN header first, that address second."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.ingest.client_address import client_address
from services.ingest.country import CountrySource
from services.ingest.envelope import envelope_of
from tests.ingest.geo_tables import table_of

PEER = "198.51.100.7"
CLIENT = "81.2.69.142"


class TestClientAddress:
    def test_without_trusted_proxies_the_peer_is_the_client(self) -> None:
        """With 0 hops X-Forwarded-For is ignored, since any client can write it."""
        assert client_address(PEER, [b"81.2.69.142"], 0) == PEER

    def test_one_hop_takes_the_entry_the_proxy_appended(self) -> None:
        """With 1 hop the rightmost entry counts; what the client wrote to its left does not."""
        spoofed = [b"10.0.0.1, 203.0.113.9, 81.2.69.142"]
        assert client_address(PEER, spoofed, 1) == CLIENT

    def test_two_hops_take_the_second_from_the_right(self) -> None:
        """With 2 hops the outer proxy's entry counts, not the inner proxy's."""
        assert client_address(PEER, [b"203.0.113.9, 81.2.69.142, 192.0.2.10"], 2) == CLIENT

    def test_several_headers_are_read_as_one_list_in_order(self) -> None:
        """Each proxy may add its own header line; they are one list, the last line rightmost."""
        lines = [b"203.0.113.9", b"81.2.69.142", b"192.0.2.10"]
        assert client_address(PEER, lines, 2) == CLIENT

    @pytest.mark.parametrize("forwarded", [[], [b"81.2.69.142"]])
    def test_fewer_entries_than_trusted_proxies_give_no_address(
        self, forwarded: list[bytes]
    ) -> None:
        """A request that did not pass every trusted proxy has no client address, not the peer's."""
        assert client_address(PEER, forwarded, 2) is None

    @pytest.mark.parametrize(
        ("entry", "address"),
        [
            (b"81.2.69.142:51234", CLIENT),
            (b"  81.2.69.142  ", CLIENT),
            (b"2a00:1450:4001:82b::200e", "2a00:1450:4001:82b::200e"),
            (b"[2a00:1450:4001:82b::200e]:443", "2a00:1450:4001:82b::200e"),
            (b"[2a00:1450:4001:82b::200e]", "2a00:1450:4001:82b::200e"),
            (b"::ffff:81.2.69.142", "::ffff:81.2.69.142"),
        ],
    )
    def test_ports_and_brackets_are_taken_off(self, entry: bytes, address: str) -> None:
        """IPv4 with a port, IPv6 bare, bracketed, bracketed with a port: the bare address."""
        assert client_address(PEER, [b"203.0.113.9, " + entry], 1) == address

    def test_a_header_padded_with_many_entries_costs_no_more(self) -> None:
        """Ten thousand client-written entries left of the proxy's do not change the answer."""
        padded = b", ".join([b"203.0.113.9"] * 10_000 + [b"81.2.69.142"])
        assert client_address(PEER, [padded], 1) == CLIENT


@pytest.fixture(scope="module")
def behind_one_proxy(tmp_path_factory: pytest.TempPathFactory) -> CountrySource:
    """A CDN header configured, one trusted proxy, and a small table (the peer's is US)."""
    ranges = [
        ("81.2.69.0", "81.2.69.255", "GB"),
        ("198.51.100.0", "198.51.100.255", "US"),
        ("2a00:1450::", "2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff", "DE"),
    ]
    source = CountrySource(header="CF-IPCountry", from_address=True, proxy_hops=1)
    source.table = table_of(tmp_path_factory.mktemp("countries"), ranges)
    return source


class TestCountrySource:
    @pytest.mark.parametrize(
        ("forwarded", "country"),
        [
            ([b"81.2.69.142"], "GB"),
            ([b"[2a00:1450::1]:443"], "DE"),
            ([b"81.2.69.142, garbage"], ""),
            ([b"81.2.69.142,"], ""),
            ([b"unknown"], ""),
            ([b"\xff\xfe\x00"], ""),
            ([b"81.2.69.142:port:port"], ""),
            ([b"[2a00:1450::1"], ""),
            ([b"[2a00:1450::1]x"], ""),
            ([b"10.0.0.1"], ""),
            ([], ""),  # one trusted proxy, yet no header: not the peer's country (US)
        ],
    )
    def test_the_trusted_entry_decides_and_garbage_has_no_country(
        self, behind_one_proxy: CountrySource, forwarded: list[bytes], country: str
    ) -> None:
        """Behind one trusted proxy the rightmost entry is looked up; garbage gives "" and no error."""
        assert behind_one_proxy.country(None, PEER, forwarded) == country

    def test_a_cdn_header_that_came_wins_over_the_address(
        self, behind_one_proxy: CountrySource
    ) -> None:
        """The configured header's value is taken, a placeholder (T1) included, before any lookup."""
        assert behind_one_proxy.country(b"fr", PEER, [b"81.2.69.142"]) == "FR"
        assert behind_one_proxy.country(b"T1", PEER, [b"81.2.69.142"]) == ""

    def test_no_country_from_the_address_until_the_table_is_there(self) -> None:
        """Off (or not loaded yet): only the header gives a country."""
        off = CountrySource(header=None, from_address=False, proxy_hops=0)
        assert off.country(None, CLIENT, []) == ""


class TestEnvelope:
    def scope(self, *headers: tuple[bytes, bytes], client: Any = (PEER, 50_000)) -> Any:
        return {"type": "http", "headers": list(headers), "client": client}

    @pytest.fixture
    def source(self, tmp_path: Path) -> CountrySource:
        source = CountrySource(header=None, from_address=True, proxy_hops=0)
        source.table = table_of(tmp_path, [("81.2.69.0", "81.2.69.255", "GB")])
        return source

    def test_the_peer_s_country_and_no_address_in_the_envelope(self, source: CountrySource) -> None:
        """The socket peer's country is in the envelope; the address itself is in no field."""
        envelope = envelope_of(self.scope(client=(CLIENT, 443)), source)
        assert envelope.country == "GB"
        assert CLIENT not in repr(envelope)

    def test_every_forwarded_header_is_read(self, source: CountrySource) -> None:
        """Two X-Forwarded-For lines are read in order (one trusted proxy: the last line's entry)."""
        source.proxy_hops = 1
        scope = self.scope(
            (b"x-forwarded-for", b"203.0.113.9"), (b"x-forwarded-for", CLIENT.encode())
        )
        assert envelope_of(scope, source).country == "GB"

    @pytest.mark.parametrize("client", [None, ("testclient", 50_000), ("/run/ingest.sock", 0)])
    def test_a_peer_that_is_no_address_has_no_country(
        self, source: CountrySource, client: Any
    ) -> None:
        """No client in the scope, a test client's name, a socket path: no country, no error."""
        assert envelope_of(self.scope(client=client), source).country == ""
