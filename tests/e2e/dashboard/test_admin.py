"""The admin screens (issue 15) in a real headless Chromium against the real running
system: an owner takes a new instance from no project to a first beacon sent by the
built SDK (the Setup page turns green), makes and revokes keys and saves settings; an
owner invites members, whose set-password link works once; an invited viewer sees no
admin screen and the admin API refuses her token. One browser session per class; every
new screen is shot at laptop and phone widths under test-output/dashboard/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from argon2 import PasswordHasher

from services.cli import catalog
from services.contracts.settings import Settings
from tests.conftest import TRUNCATE_ALL
from tests.e2e.dashboard.conftest import EMAIL, PASSWORD, Running, drive
from tests.e2e.dashboard.seed import Seeded
from tests.e2e.dashboard.stack import DashboardStack
from tests.e2e.sdk.conftest import build_sdk

VIEWER, VIEWER_PASSWORD = "ann@blog.example", "ann's own passphrase"
ADMIN = "bob@blog.example"
INSERT_OWNER = """
INSERT INTO users (email, password_hash, is_owner, password_set_at) VALUES ($1, $2, true, now())
"""


@pytest.fixture(scope="module")
async def admin_stack(settings: Settings) -> AsyncIterator[DashboardStack]:
    """The running system; ingest serves the SDK freshly built (it reads the bundle at start)."""
    build_sdk()
    stack = DashboardStack(settings)
    try:
        await fresh_instance(settings)
        stack.start()
        yield stack
    finally:
        stack.stop()


async def fresh_instance(settings: Settings, *project_slugs: str) -> list[int]:
    """No data, one owner (EMAIL), and the projects named; their ids."""
    db = await asyncpg.connect(settings.database_url)
    try:
        await db.execute(TRUNCATE_ALL)
        await db.execute(INSERT_OWNER, EMAIL, PasswordHasher().hash(PASSWORD))
        return [
            (await catalog.create_project(db, slug=slug, name=slug.title(), allowed_origins=[],
                                          rate_limit_per_minute=6000, filter_bots=True)).id
            for slug in project_slugs
        ]  # fmt: skip
    finally:
        await db.close()


def running(stack: DashboardStack, project_id: int = 0) -> Running:
    return Running(stack, Seeded(project_id=project_id, page_views=0, rows=0), "", "")


@pytest.fixture(scope="module")
async def onboarding(admin_stack: DashboardStack, settings: Settings) -> dict[str, Any]:
    """What the owner's browser session saw, from no project to keys and settings."""
    await fresh_instance(settings)
    return drive(running(admin_stack), "adminOnboarding", timeout_s=240)


@pytest.fixture(scope="module")
async def membership(admin_stack: DashboardStack, settings: Settings) -> dict[str, Any]:
    """What one browser session saw: an owner's invitations, then the invited viewer's."""
    [blog] = await fresh_instance(settings, "blog")
    return drive(
        running(admin_stack, blog), "adminMembers", timeout_s=240,
        viewerEmail=VIEWER, viewerPassword=VIEWER_PASSWORD, adminEmail=ADMIN,
    )  # fmt: skip


class TestANewProjectFromNothing:
    @pytest.fixture
    def observed(self, onboarding: dict[str, Any]) -> dict[str, Any]:
        return onboarding

    async def test_a_beacon_from_the_copied_script_tag_turns_the_setup_page_green(
        self, observed: dict[str, Any], admin_stack: DashboardStack, settings: Settings
    ) -> None:
        """An owner with no project creates one (slug from the name, the site's origin allowed) and lands on its Setup page, waiting; the key made there fills the script tag, which is copied, and a page embedding it sends a beacon through ingest that turns the check green."""
        assert observed["slug"] == "shop-front"
        assert observed["waiting"]["state"] == "waiting"
        assert "Waiting for the first beacon" in observed["waiting"]["text"]
        assert 'data-key="YOUR_INGEST_KEY"' in observed["placeholderTag"]
        key, ingest = observed["key"], admin_stack.ingest.url
        assert key.startswith("vk_"), key
        assert (
            observed["tag"]
            == f'<script src="{ingest}/sdk/vitals.js" data-key="{key}" defer></script>'
        )
        assert observed["clipboard"] == observed["tag"]
        assert f"key: '{key}'," in observed["npm"] and f"endpoint: '{ingest}'," in observed["npm"]
        assert (
            "data-soft-navs" in observed["spaTag"] and "reportSoftNavs: true" in observed["spaNpm"]
        )
        assert "Beacons are arriving" in observed["received"]
        assert "from /products/:id" in observed["received"]  # the route the workers derived

        db = await asyncpg.connect(settings.database_url)
        try:
            project = await db.fetchrow(
                "SELECT slug, name, allowed_origins FROM projects WHERE id = $1",
                observed["projectId"],
            )
            pages = await db.fetchval(
                "SELECT count(*) FROM pages WHERE project_id = $1", observed["projectId"]
            )
        finally:
            await db.close()
        assert project is not None
        assert dict(project) == {
            "slug": "shop-front",
            "name": "Shop Front",
            "allowed_origins": [observed["siteOrigin"]],
        }
        assert pages >= 1

    async def test_keys_are_shown_once_and_revoked_through_the_keys_page(
        self, observed: dict[str, Any], settings: Settings
    ) -> None:
        """The Setup page's key is listed by its prefix only; a second key is shown once and copied, then revoked, and the database agrees."""
        first = observed["keysBefore"]
        assert len(first) == 1 and observed["key"].startswith(first[0]["prefix"])
        assert observed["key"] not in first[0]["text"]
        assert observed["keyClipboard"] == observed["secondKey"]
        after = {row["prefix"]: row["revoked"] for row in observed["keysAfter"]}
        assert after == {
            first[0]["prefix"]: False,
            observed["secondKey"][: len(first[0]["prefix"])]: True,
        }
        db = await asyncpg.connect(settings.database_url)
        try:
            keys = await db.fetch(
                "SELECT label, revoked_at IS NOT NULL AS revoked FROM ingest_keys"
                " WHERE project_id = $1 ORDER BY id",
                observed["projectId"],
            )
        finally:
            await db.close()
        assert [(k["label"], k["revoked"]) for k in keys] == [("www", False), ("CI smoke", True)]

    async def test_settings_are_checked_then_saved(
        self, observed: dict[str, Any], settings: Settings
    ) -> None:
        """A rate limit of 0 is named before anything is sent; a route rule, a new limit and kept trailing slashes are saved through the admin service."""
        assert "rate limit is a whole number" in observed["problem"]
        db = await asyncpg.connect(settings.database_url)
        try:
            row = await db.fetchrow(
                "SELECT rate_limit_per_minute, route_rules::text AS rules, keep_trailing_slash"
                " FROM projects WHERE id = $1",
                observed["projectId"],
            )
        finally:
            await db.close()
        assert row is not None
        assert row["rate_limit_per_minute"] == 1200 and row["keep_trailing_slash"] is True
        assert "/products/:id" in row["rules"]
        writes = [(w["method"], w["status"]) for w in observed["writes"]]
        assert writes.count(("PATCH", 200)) == 1, observed["writes"]

    def test_the_screens_fit_a_phone_and_log_no_errors(self, observed: dict[str, Any]) -> None:
        """The first-project, Setup, Keys and Settings screens do not scroll sideways at phone width; the console stays clean."""
        assert all(value <= 0 for value in observed["overflow"].values()), observed["overflow"]
        assert len(observed["screenshots"]) == 10
        assert observed["consoleErrors"] == []


class TestMembersAndAViewer:
    @pytest.fixture
    def observed(self, membership: dict[str, Any]) -> dict[str, Any]:
        return membership

    async def test_members_are_invited_with_a_link_their_role_changed_and_removed(
        self, observed: dict[str, Any], admin_stack: DashboardStack, settings: Settings
    ) -> None:
        """An owner adds a viewer and an admin by e-mail, each answered with a one-time link into this dashboard that the copy button copies; the admin is made a viewer, then removed."""
        prefix = f"{admin_stack.dashboard_url}/?view=set-password#token=vsp_"
        assert observed["annLink"].startswith(prefix) and observed["bobLink"].startswith(prefix)
        assert observed["linkClipboard"] == observed["annLink"]
        assert observed["members"] == [[VIEWER, "viewer"]]
        assert VIEWER in observed["users"] and ADMIN in observed["users"]
        assert {"Setup", "Settings", "Keys", "Members", "Users"} <= set(observed["ownerNav"])
        db = await asyncpg.connect(settings.database_url)
        try:
            grants = await db.fetch(
                "SELECT u.email, up.role FROM user_projects up JOIN users u ON u.id = up.user_id"
            )
        finally:
            await db.close()
        assert [(g["email"], g["role"]) for g in grants] == [(VIEWER, "viewer")]

    def test_the_link_sets_a_password_once(self, observed: dict[str, Any]) -> None:
        """The invited viewer opens her link, chooses a password and is sent to sign in with it; the same link a second time is refused as used."""
        assert "Your password is set for ann@blog.example" in observed["afterSet"]["notice"]
        assert "token=" not in observed["afterSet"]["url"]
        assert "used already" in observed["reused"]

    def test_a_viewer_sees_no_admin_screen_and_the_admin_api_refuses_her(
        self, observed: dict[str, Any]
    ) -> None:
        """Signed in, the viewer's navigation holds the data views only and no New project button; the settings page's address shows a notice instead of the form; her token gets 403 from the admin API's settings, keys and members."""
        assert observed["viewerNav"] == [
            "Overview", "Trends", "Distribution", "Breakdowns", "Attribution", "Releases",
            "Alerts", "Live",
        ]  # fmt: skip
        assert observed["newProjectLinks"] == 0
        assert observed["settingsForms"] == 0
        assert "for the project\u2019s admins" in observed["notAllowed"]
        me = observed["api"]["me"]
        assert (me["owner"], me["can_manage_users"]) == (False, False)
        assert [p["role"] for p in me["projects"]] == ["viewer"]
        assert (observed["api"]["settings"], observed["api"]["key"], observed["api"]["members"]) == (
            403, 403, 403,
        )  # fmt: skip

    def test_the_screens_fit_a_phone_and_log_no_errors(self, observed: dict[str, Any]) -> None:
        """Members, Users, New project, the set-password page and the viewer's notice do not scroll sideways at phone width; no unexpected console error."""
        assert all(value <= 0 for value in observed["overflow"].values()), observed["overflow"]
        assert observed["consoleErrors"] == []
