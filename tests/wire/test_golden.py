"""The golden wire files of format v1 decode (valid/) or are refused for their stated reason
(invalid/), so the SDK and ingest agree on one definition of a beacon."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from services.contracts.wire import MAX_SEQ, WIRE_VERSION, Beacon, InvalidBeacon, decode, encode

V1 = Path(__file__).parent / "v1"
VALID = sorted((V1 / "valid").glob("*.json"))
INVALID = sorted((V1 / "invalid").glob("*.json"))
EXPECTED: dict[str, dict[str, str]] = json.loads((V1 / "invalid" / "expected.json").read_text())
INVALID_CASES = [p for p in INVALID if p.name != "expected.json"]


def _name(path: Path) -> str:
    return path.stem


class TestValidGoldenFiles:
    def test_the_required_scenarios_exist(self) -> None:
        """The valid set covers a full beacon, a minimal one, a CLS re-report, a bfcache restore and a soft navigation."""
        names = {p.stem for p in VALID}
        assert {"full", "minimal", "cls-rereport", "bfcache-restore", "soft-navigation"} <= names

    @pytest.mark.parametrize("path", VALID, ids=_name)
    def test_decodes(self, path: Path) -> None:
        """Each valid file decodes to a v1 beacon with at least one report."""
        beacon = decode(path.read_bytes())
        assert beacon.v == WIRE_VERSION
        assert beacon.reports

    @pytest.mark.parametrize("path", VALID, ids=_name)
    def test_round_trips_without_loss(self, path: Path) -> None:
        """Re-encoding a decoded valid file and decoding it again gives the same beacon."""
        beacon = decode(path.read_bytes())
        assert decode(encode(beacon)) == beacon

    def test_full_beacon_carries_every_metric_with_attribution(self) -> None:
        """The full example has one report of each of the five metrics, each with attribution."""
        beacon = decode((V1 / "valid" / "full.json").read_bytes())
        assert sorted(r.name for r in beacon.reports) == ["CLS", "FCP", "INP", "LCP", "TTFB"]
        assert all(r.attribution is not None for r in beacon.reports)

    def test_cls_rereport_reuses_the_first_reports_ids(self) -> None:
        """The re-report carries the same metric ids and time origin as the full page view it grows, with larger values."""
        full = decode((V1 / "valid" / "full.json").read_bytes())
        again = decode((V1 / "valid" / "cls-rereport.json").read_bytes())
        first = {r.id: r for r in full.reports}
        assert again.time_origin == full.time_origin
        for report in again.reports:
            assert report.id in first
            assert report.value > first[report.id].value

    def test_cls_rereport_is_numbered_after_the_first_beacon(self) -> None:
        """The re-report carries seq 1; the first beacon, which leaves seq out as older SDKs do, counts as 0."""
        full = decode((V1 / "valid" / "full.json").read_bytes())
        again = decode((V1 / "valid" / "cls-rereport.json").read_bytes())
        assert b'"seq"' not in (V1 / "valid" / "full.json").read_bytes()
        assert (full.seq, again.seq) == (0, 1)


class TestInvalidGoldenFiles:
    def test_every_file_has_an_expectation_and_every_expectation_a_file(self) -> None:
        """invalid/expected.json lists exactly the invalid files, so none is silently untested."""
        assert {p.name for p in INVALID_CASES} == set(EXPECTED)

    def test_the_required_rules_are_covered(self) -> None:
        """The invalid set covers NaN, Infinity, 1e999, wrong types, unknown metric, over-max value, 51 reports, over-long strings, bad version, unknown field and out-of-range seq."""
        required = {
            "nan-literal", "infinity-literal", "number-overflow", "value-wrong-type",
            "unknown-metric", "value-over-metric-max", "too-many-reports", "url-too-long",
            "selector-too-long", "bad-version", "unknown-field", "seq-negative", "seq-fractional",
            "seq-too-large",
        }  # fmt: skip
        assert required <= {p.stem for p in INVALID_CASES}

    @pytest.mark.parametrize("path", INVALID_CASES, ids=_name)
    def test_is_refused_for_its_stated_reason(self, path: Path) -> None:
        """Decoding each invalid file raises, and the message names the rule it breaks."""
        with pytest.raises((msgspec.DecodeError, InvalidBeacon)) as raised:
            decode(path.read_bytes())
        assert EXPECTED[path.name]["error"] in str(raised.value)

    def test_too_many_reports_is_one_over_the_limit(self) -> None:
        """The too-many file holds 51 reports, and the same beacon with 50 decodes."""
        data = json.loads((V1 / "invalid" / "too-many-reports.json").read_text())
        assert len(data["reports"]) == 51
        data["reports"].pop()
        assert len(msgspec.convert(data, Beacon).reports) == 50
        decode(json.dumps(data).encode())

    def test_seq_too_large_is_one_over_the_limit(self) -> None:
        """The too-large seq is 2^31, one over PostgreSQL's integer, and the same beacon with 2^31 - 1 decodes."""
        data = json.loads((V1 / "invalid" / "seq-too-large.json").read_text())
        assert data["seq"] == MAX_SEQ + 1 == 2**31
        data["seq"] = MAX_SEQ
        assert decode(json.dumps(data).encode()).seq == MAX_SEQ
