"""`vitals alert rule|destination …` and the role commands (`vitals user grant`, `vitals
token --role`), run as real processes against the test database (issue 14)."""

from __future__ import annotations

import json

import asyncpg
import pytest

from services.contracts.settings import Settings
from services.contracts.tokens import verify_token
from tests.support.cli import vitals

PUBLIC_URL = "https://93.184.215.14/hooks/T000/B000/XXXX"  # example.com's: no DNS needed
ALLOW_PRIVATE = {"VITALS_ALERTS_ALLOW_PRIVATE_DESTINATIONS": "true"}
THRESHOLD = ("alert", "rule", "create", "threshold", "--project", "shop", "--name", "slow LCP",
             "--metric", "LCP", "--comparison", "above", "--threshold", "2500")  # fmt: skip


@pytest.fixture
def shop(cli) -> None:  # type: ignore[no-untyped-def]
    cli("project", "create", "shop")
    cli("project", "create", "other")


class TestRules:
    @pytest.mark.usefixtures("shop")
    async def test_create_list_update_delete(self, cli, db: asyncpg.Connection) -> None:  # type: ignore[no-untyped-def]
        """A threshold rule goes through its whole life; each step prints the stored rule."""
        created = json.loads(cli(*THRESHOLD, "--device", "mobile", "--country", "de",
                                 "--window", "30").stdout)  # fmt: skip
        assert (created["id"], created["metric"], created["statistic"]) == (1, "LCP", "p75")
        assert (created["device"], created["country"], created["window_minutes"]) == (
            "mobile", "DE", 30,
        )  # fmt: skip
        listed = json.loads(cli("alert", "rule", "list", "--project", "shop").stdout)
        assert listed == [created]
        updated = json.loads(cli("alert", "rule", "update", "1", "--project", "shop",
                                 "--threshold", "3000", "--clear", "device", "--disable").stdout)  # fmt: skip
        assert (updated["threshold"], updated["enabled"], "device" in updated) == (
            3000, False, False,
        )  # fmt: skip
        assert updated["country"] == "DE" and updated["window_minutes"] == 30
        assert "deleted" in cli("alert", "rule", "delete", "1", "--project", "shop").stdout
        assert await db.fetchval("SELECT count(*) FROM alert_rules") == 0
        again = cli("alert", "rule", "delete", "1", "--project", "shop", check=False)
        assert (again.returncode, "no rule 1" in again.stderr) == (1, True)

    @pytest.mark.usefixtures("shop")
    def test_regression_and_silence_rules(self, cli) -> None:  # type: ignore[no-untyped-def]
        """--metric and --device repeat into a regression's lists."""
        regression = json.loads(cli("alert", "rule", "create", "regression", "--project", "shop",
                                    "--name", "regressed", "--metric", "LCP", "--metric", "INP",
                                    "--device", "mobile").stdout)  # fmt: skip
        assert (regression["metrics"], regression["devices"]) == (["LCP", "INP"], ["mobile"])
        silence = json.loads(cli("alert", "rule", "create", "silence", "--project", "shop",
                                 "--name", "quiet", "--silence", "45").stdout)  # fmt: skip
        assert silence["silence_minutes"] == 45 and silence["kind"] == "silence"

    @pytest.mark.usefixtures("shop")
    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (THRESHOLD[:-4], "invalid alert rule"),  # no comparison, no threshold
            ((*THRESHOLD, "--window", "-5"), "invalid alert rule"),
            ((*THRESHOLD, "--statistic", "good_share"), "fraction"),
            ((*THRESHOLD, "--silence", "30"), "invalid alert rule"),
            ((*THRESHOLD, "--country", "DEU"), "invalid alert rule"),
            ((*THRESHOLD, "--metric", "INP"), "invalid alert rule"),  # two metrics
            (
                ("alert", "rule", "create", "silence", "--project", "ghost", "--name", "q"),
                "no project",
            ),
            (
                ("alert", "rule", "create", "silence", "--project", "shop", "--name", "a\x01"),
                "invalid alert rule",
            ),
        ],
    )
    async def test_invalid_rules_exit_1_and_store_nothing(
        self, cli, db: asyncpg.Connection, args: tuple[str, ...], message: str,  # type: ignore[no-untyped-def]
    ) -> None:  # fmt: skip
        result = cli(*args, check=False)
        assert result.returncode == 1, result.stdout
        assert message in result.stderr
        assert await db.fetchval("SELECT count(*) FROM alert_rules") == 0

    @pytest.mark.usefixtures("shop")
    async def test_another_projects_rule_is_not_found_and_unchanged(
        self, cli, db: asyncpg.Connection,  # type: ignore[no-untyped-def]
    ) -> None:  # fmt: skip
        cli(*THRESHOLD)
        stored = await db.fetchrow("SELECT * FROM alert_rules")
        for command in (("update", "1", "--project", "other", "--threshold", "1"),
                        ("delete", "1", "--project", "other")):  # fmt: skip
            result = cli("alert", "rule", *command, check=False)
            assert (result.returncode, "no rule 1" in result.stderr) == (1, True)
        twin = cli(*THRESHOLD, check=False)
        assert (twin.returncode, "has a rule named" in twin.stderr) == (1, True)
        assert [await db.fetchrow("SELECT * FROM alert_rules")] == [stored]

    @pytest.mark.usefixtures("shop")
    async def test_sql_in_a_name_is_stored_as_text(self, cli, db: asyncpg.Connection) -> None:  # type: ignore[no-untyped-def]
        name = "x'); DROP TABLE alert_rules; --"
        cli("alert", "rule", "create", "silence", "--project", "shop", "--name", name)
        assert await db.fetchval("SELECT name FROM alert_rules") == name


class TestDestinations:
    @pytest.mark.usefixtures("shop")
    async def test_the_secret_is_printed_once(self, cli, db: asyncpg.Connection) -> None:  # type: ignore[no-untyped-def]
        created = json.loads(cli("alert", "destination", "create", "--project", "shop",
                                 "--name", "#perf", "--url", PUBLIC_URL, "--format", "slack").stdout)  # fmt: skip
        secret = created["secret"]
        assert secret.startswith("vwh_") and created["destination"]["format"] == "slack"
        assert await db.fetchval("SELECT secret FROM alert_destinations") == secret
        listed = cli("alert", "destination", "list", "--project", "shop").stdout
        assert json.loads(listed) == [created["destination"]]
        assert secret not in listed and "/hooks/" not in listed
        cli("alert", "destination", "delete", "1", "--project", "shop")
        assert await db.fetchval("SELECT count(*) FROM alert_destinations") == 0

    @pytest.mark.usefixtures("shop")
    @pytest.mark.parametrize(
        "url", ["http://localhost:9/hook", "http://127.0.0.1/", "http://[::ffff:10.0.0.1]/"]
    )
    async def test_private_urls_need_the_setting(
        self, cli, settings: Settings, db: asyncpg.Connection, url: str,  # type: ignore[no-untyped-def]
    ) -> None:  # fmt: skip
        args = ("alert", "destination", "create", "--project", "shop", "--name", "r", "--url", url)
        refused = cli(*args, check=False)
        assert (refused.returncode, "not a public address" in refused.stderr) == (1, True)
        assert await db.fetchval("SELECT count(*) FROM alert_destinations") == 0
        vitals(settings, *args, env=ALLOW_PRIVATE)
        assert await db.fetchval("SELECT url FROM alert_destinations") == url

    @pytest.mark.usefixtures("shop")
    async def test_another_projects_destination_is_not_deleted(
        self, cli, db: asyncpg.Connection,  # type: ignore[no-untyped-def]
    ) -> None:  # fmt: skip
        cli(
            "alert",
            "destination",
            "create",
            "--project",
            "shop",
            "--name",
            "n",
            "--url",
            PUBLIC_URL,
        )
        result = cli("alert", "destination", "delete", "1", "--project", "other", check=False)
        assert (result.returncode, "no destination 1" in result.stderr) == (1, True)
        assert await db.fetchval("SELECT count(*) FROM alert_destinations") == 1


class TestRoles:
    GENERATION = "SELECT token_generation FROM users WHERE email = 'ann@example.com'"
    ROLES = (
        "SELECT p.slug, up.role FROM user_projects AS up JOIN projects AS p ON p.id = up.project_id"
        " ORDER BY p.slug"
    )

    @pytest.mark.usefixtures("shop")
    async def test_new_grants_are_viewers_and_grant_sets_the_role(
        self, cli, db: asyncpg.Connection,  # type: ignore[no-untyped-def]
    ) -> None:  # fmt: skip
        """`user create` grants viewer; `user grant --role admin` promotes without ending
        tokens; taking admin away bumps the generation (their tokens claimed admin)."""
        cli("user", "create", "ann@example.com", "--password", "correct horse", "--project", "shop")
        assert [tuple(r) for r in await db.fetch(self.ROLES)] == [("shop", "viewer")]
        cli("user", "grant", "ann@example.com", "--project", "shop", "--project", "other",
            "--role", "admin")  # fmt: skip
        assert [tuple(r) for r in await db.fetch(self.ROLES)] == [
            ("other", "admin"), ("shop", "admin"),
        ]  # fmt: skip
        assert await db.fetchval(self.GENERATION) == 0
        cli(
            "user",
            "grant",
            "ann@example.com",
            "--project",
            "other",
            "--project",
            "2",
            "--role",
            "viewer",
        )  # the same project twice
        assert [tuple(r) for r in await db.fetch(self.ROLES)] == [
            ("other", "viewer"), ("shop", "admin"),
        ]  # fmt: skip
        assert await db.fetchval(self.GENERATION) == 1
        # A password reset through `create` keeps the roles it does not name.
        cli(
            "user", "create", "ann@example.com", "--password", "battery staple", "--project", "shop"
        )
        assert ("shop", "admin") in [tuple(r) for r in await db.fetch(self.ROLES)]

    @pytest.mark.usefixtures("shop")
    async def test_create_with_a_role_and_unknown_users_or_projects(
        self, cli, db: asyncpg.Connection,  # type: ignore[no-untyped-def]
    ) -> None:  # fmt: skip
        cli("user", "create", "ann@example.com", "--password", "correct horse", "--project",
            "shop", "--role", "admin")  # fmt: skip
        assert [tuple(r) for r in await db.fetch(self.ROLES)] == [("shop", "admin")]
        nobody = cli("user", "grant", "bob@example.com", "--project", "shop", "--role", "admin",
                     check=False)  # fmt: skip
        assert (nobody.returncode, "no user" in nobody.stderr) == (1, True)
        ghost = cli("user", "grant", "ann@example.com", "--project", "ghost", "--role", "admin",
                    check=False)  # fmt: skip
        assert (ghost.returncode, "no project" in ghost.stderr) == (1, True)
        owner = cli("user", "grant", "ann@example.com", "--project", "shop", "--role", "owner",
                    check=False)  # fmt: skip
        assert owner.returncode == 2
        assert await db.fetchval("SELECT count(*) FROM user_projects") == 1

    @pytest.mark.usefixtures("shop")
    def test_token_role(self, cli, settings: Settings) -> None:  # type: ignore[no-untyped-def]
        """`vitals token --role admin` claims admin in each project named; viewer by default."""
        admin = verify_token(settings, cli("token", "--project", "shop", "--project", "other",
                                           "--role", "admin").stdout.strip())  # fmt: skip
        assert admin.roles == {"1": "admin", "2": "admin"}
        assert admin.administers(1) and admin.administers(2) and not admin.administers(3)
        viewer = verify_token(settings, cli("token", "--project", "shop").stdout.strip())
        assert viewer.role(1) == "viewer" and not viewer.administers(1)
