"""Alerts in the dashboard (issue 14), in a real headless Chromium against the real running
system: the Overview's banner of firing alerts, the Alerts view as a viewer reads it
(firing first, the history, the delivery log, no forms), and an admin's writes through
it, which reach the admin service and the database."""

from __future__ import annotations

import asyncpg
import pytest

from services.contracts.settings import Settings
from services.contracts.tokens import mint_token
from tests.e2e.dashboard.conftest import EMAIL, Running, drive
from tests.e2e.dashboard.seed_alerts import CALM, DESTINATION, FIRING, SWITCHED_OFF

RULES = "/v1/projects/{}/alerts/rules"
DESTINATIONS = "/v1/projects/{}/alerts/destinations"


class TestAlertsForAViewer:
    def test_the_banner_leads_to_the_rules_firing_first_and_no_forms(
        self, running_alerts: Running
    ) -> None:
        """The Overview names the firing rule and links to the Alerts view, which lists it first, then the calm rule, the disabled one last; three transitions newest first and their deliveries; a viewer's token is offered no form or button that writes; phone width does not scroll sideways."""
        observed = drive(running_alerts, "alertsViewer")
        banner = observed["overviewBanner"]
        assert banner["firing"] == "1"
        assert f"1 alert is firing: {FIRING}" in banner["text"]
        view = observed["view"]
        assert "view=alerts" in view["url"]
        assert [(r["name"], r["status"]) for r in view["rules"]] == [
            (FIRING, "firing"), (CALM, "ok"), (SWITCHED_OFF, "disabled"),
        ]  # fmt: skip
        assert [r["badge"] for r in view["rules"]] == ["Firing", "OK", "Disabled"]
        assert view["rules"][0]["condition"] == (
            "LCP p75 above 2.50 s over 1 h (≥ 1,000,000 samples) · /checkout · mobile"
        )
        assert view["rulesTitle"] == "Alert rules · 1 firing"
        assert [e["transition"] for e in view["history"]] == ["firing", "resolved", "firing"]
        assert all(FIRING in e["text"] for e in view["history"])
        assert [d["status"] for d in view["deliveries"]] == ["delivered"] * 3
        assert all(DESTINATION in d["text"] and "Delivered (HTTP 200)" in d["text"]
                   for d in view["deliveries"])  # fmt: skip
        assert view["destinations"] == [DESTINATION]
        assert (view["newRuleButtons"], view["testButtons"], view["editButtons"]) == (0, 0, 0)
        assert "Read only" in view["readOnlyNote"]
        assert observed["phoneOverflow"] <= 0, "phone width does not scroll sideways"
        assert observed["consoleErrors"] == []


@pytest.fixture
def admin_token(running_alerts: Running) -> str:
    return mint_token(
        running_alerts.stack.settings, subject=EMAIL, projects=[running_alerts.project_id],
        lifetime_s=3600, roles={running_alerts.project_id: "admin"},
    )  # fmt: skip


class TestAlertsForAnAdmin:
    async def test_rules_and_destinations_are_written_through_the_admin_service(
        self, running_alerts: Running, admin_token: str, settings: Settings
    ) -> None:
        """An admin creates a rule (a window too short is named before anything is sent), edits and deletes it; adds a destination whose secret is shown once and copied, sends it a test notification that appears in the delivery log, and removes it; every write went to the admin service and answered as it should."""
        project = running_alerts.project_id
        observed = drive(running_alerts, "alertsAdmin", token=admin_token)
        assert observed["before"]["newRuleButtons"] >= 1 and observed["before"]["editButtons"] == 3
        assert observed["problem"] == "The window must be between 5 and 10080."
        created = observed["created"]
        assert created["status"] == "pending" and created["badge"] == "Not evaluated yet"
        assert created["condition"] == "CLS p75 above 0.25 over 30 min (≥ 100 samples) · /cart"
        assert observed["edited"]["condition"].startswith("CLS p75 above 0.30 over 30 min")
        assert "Cart CLS" not in observed["afterDelete"]
        assert observed["secret"].startswith("vwh_") and len(observed["secret"]) >= 47
        assert observed["clipboard"] == observed["secret"], observed["copyNote"]
        assert "http://127.0.0.1:9" in observed["destinationText"]
        assert "token=private" not in observed["destinationText"], "the URL is never shown"
        assert observed["secretGone"]
        assert observed["queued"].startswith("Test queued (delivery ")
        assert (
            "Team hook" in observed["testDelivery"]
            and "Test notification" in observed["testDelivery"]
        )
        assert observed["destinationsAfter"] == [DESTINATION]
        rules, destinations = RULES.format(project), DESTINATIONS.format(project)
        writes = [(w["method"], w["path"].rsplit("/", 1)[0] if w["method"] != "POST" else w["path"],
                   w["status"]) for w in observed["writes"]]  # fmt: skip
        assert writes == [
            ("POST", rules, 201),
            ("PATCH", rules, 200),
            ("DELETE", rules, 204),
            ("POST", destinations, 201),
            ("POST", writes[4][1], 202),
            ("DELETE", destinations, 204),
        ], observed["writes"]
        assert writes[4][1].startswith(destinations + "/") and writes[4][1].endswith("/test")
        assert observed["consoleErrors"] == []

        db = await asyncpg.connect(settings.database_url)
        try:
            names = {r["name"] for r in await db.fetch(
                "SELECT name FROM alert_rules WHERE project_id = $1", project)}  # fmt: skip
            tests = await db.fetchval(
                "SELECT count(*) FROM alert_events WHERE project_id = $1 AND transition = 'test'",
                project,
            )
        finally:
            await db.close()
        assert names == {FIRING, CALM, SWITCHED_OFF}
        assert tests == 1
