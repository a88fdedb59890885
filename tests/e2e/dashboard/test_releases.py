"""Releases in the dashboard (issue 13), in a real headless Chromium against the real
running system: deploy markers on the trend charts, the release filter, and the Releases
view naming the one route and device the newer release made slower."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.e2e.dashboard.conftest import Running, drive
from tests.e2e.dashboard.seed_releases import NEW, OLD, PER_CELL, Releases
from tests.support.cli import vitals


@pytest.fixture(scope="module")
def deployed(running_releases: Running) -> Running:
    """Both releases' deploys recorded with `vitals deploy record`, as a CI job would."""
    seeded = running_releases.seeded
    assert isinstance(seeded, Releases)
    for release in (OLD, NEW):
        vitals(
            running_releases.stack.settings, "deploy", "record",
            "--project", str(running_releases.project_id), "--release", release,
            "--at", seeded.started[release].isoformat(), "--description", f"ship {release}",
        )  # fmt: skip
    return running_releases


def assert_markers(chart: dict[str, Any], seeded: Releases) -> None:
    """One marker per deploy, oldest on the left, inside the plot, named on hover."""
    markers = chart["markers"]
    assert [m["release"] for m in markers] == [OLD, NEW], chart
    for marker in markers:
        at = datetime.fromisoformat(marker["at"].replace("Z", "+00:00"))
        assert at == seeded.started[marker["release"]]
        assert marker["title"].startswith(f"Deploy {marker['release']} · "), marker
        assert marker["title"].endswith(f"· ship {marker['release']}"), marker
        assert chart["plotLeft"] < marker["x"] < chart["plotRight"], (marker, chart)
    assert markers[0]["x"] < markers[1]["x"]


class TestDeployMarkers:
    def test_every_trend_chart_marks_each_deploy_with_its_release(self, deployed: Running) -> None:
        """The overview's and the trends view's charts draw a marker at each recorded deploy; hovering the newer one names its release in the chart's tooltip."""
        observed = drive(deployed, "deploys", release=NEW)
        seeded = deployed.seeded
        assert isinstance(seeded, Releases)
        assert_markers(observed["overview"], seeded)
        assert_markers(observed["trends"], seeded)
        assert f"Deploy {NEW} at" in observed["overview"]["tooltip"], observed["overview"]
        assert observed["consoleErrors"] == []


class TestReleaseFilter:
    def test_the_release_filter_counts_only_that_release(self, deployed: Running) -> None:
        """Adding a release filter offers the releases of the range, lands in the URL and leaves only that release's samples on the tiles."""
        observed = drive(deployed, "releaseFilter", release=NEW)
        filtered = observed["filtered"]
        assert sorted(filtered["offered"]) == sorted([OLD, NEW])
        assert f"release={NEW}" in filtered["url"]
        assert filtered["chips"] == [f"Release: {NEW}×"]
        assert observed["unfilteredLcp"] == 2 * 2 * 2 * PER_CELL
        assert filtered["lcp"] == 2 * 2 * PER_CELL


class TestReleasesView:
    def test_the_slower_route_and_device_come_first_as_regressed(self, deployed: Running) -> None:
        """The Releases view lists both releases newest first with their deploys; the newer one against the one before shows /checkout on mobile first, regressed, and no /home row regressed; phone width does not scroll sideways."""
        observed = drive(deployed, "releases", release=NEW, baseline=OLD)
        listed = observed["listed"]
        assert [r["release"] for r in listed] == [NEW, OLD]
        assert all(r["deployed"] != "—" for r in listed), listed
        assert listed[0]["samples"] == f"{2 * 2 * PER_CELL:,}"
        comparison = observed["comparison"]
        assert "view=releases" in comparison["url"] and f"compare={NEW}" in comparison["url"]
        assert comparison["title"] == f"{NEW} against {OLD}"
        rows = comparison["rows"]
        first = rows[0]
        assert (first["scope"], first["route"], first["device"], first["verdict"]) == (
            "route", "/checkout", "mobile", "regressed",
        ), rows[:3]  # fmt: skip
        assert "Regressed" in first["text"] and "+" in first["change"], first
        assert all(r["verdict"] != "regressed" for r in rows if r["route"] == "/home"), rows
        desktop = [r for r in rows if r["route"] == "/checkout" and r["device"] == "desktop"]
        assert [r["verdict"] for r in desktop] == ["unchanged"]
        verdicts = [r["verdict"] for r in rows]
        regressed = verdicts.count("regressed")
        assert verdicts[:regressed] == ["regressed"] * regressed, "regressions first"
        assert comparison["metricSwitch"][0] == f"LCP · {regressed} regressed"
        chosen = observed["chosenBaseline"]
        assert f"baseline={OLD}" in chosen["url"]
        assert chosen["rows"] == rows, "naming the release before gives the same comparison"
        assert observed["phoneOverflow"] <= 0, "phone width does not scroll sideways"
        assert observed["consoleErrors"] == []
