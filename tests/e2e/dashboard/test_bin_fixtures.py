"""The dashboard's bin-math fixture is what the services compute today."""

from __future__ import annotations

import importlib.util
import json

from tests.support.processes import ROOT

FIXTURES = ROOT / "dashboard" / "tests" / "fixtures"


class TestBinFixtures:
    def test_fixture_matches_the_python_functions(self) -> None:
        """bins.json (read by the dashboard's vitest suite) equals what make_bins.py computes from contracts.metrics, the realtime window and merge_bins now."""
        spec = importlib.util.spec_from_file_location("make_bins", FIXTURES / "make_bins.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        expected = json.loads(json.dumps(module.build()))
        stored = json.loads((FIXTURES / "bins.json").read_text())
        assert stored == expected, (
            "dashboard/tests/fixtures/bins.json is stale: regenerate it with "
            "`.venv/bin/python dashboard/tests/fixtures/make_bins.py > dashboard/tests/fixtures/bins.json`"
        )
