"""`vitals deploy record|list` (issue 13), as a real process against the test database."""

from __future__ import annotations

import json

import asyncpg
import pytest

from services.contracts.deploys import check_deploy


class TestDeployRecord:
    def test_record_then_list_newest_first(self, cli, db: asyncpg.Connection) -> None:  # type: ignore[no-untyped-def]
        """A deploy recorded now and one at a given time are listed newest first, with what
        was given; a unicode release is kept as sent."""
        cli("project", "create", "shop")
        earlier = json.loads(cli(
            "deploy", "record", "--project", "shop", "--release", "v1",
            "--at", "2025-06-01T12:00:00Z", "--url", "https://ci.example/run/1",
            "--description", "first",
        ).stdout)  # fmt: skip
        assert earlier["at"] == "2025-06-01T12:00:00Z"
        now = json.loads(
            cli("deploy", "record", "--project", "shop", "--release", "räksmörgås-🚀").stdout
        )
        listed = json.loads(cli("deploy", "list", "--project", "shop").stdout)
        assert [d["release"] for d in listed] == ["räksmörgås-🚀", "v1"]
        assert listed[1] == earlier and listed[0] == now
        assert listed[1]["url"] == "https://ci.example/run/1"

    def test_hostile_values_are_refused_with_a_message_and_nothing_stored(
        self,
        cli,
        db: asyncpg.Connection,  # type: ignore[no-untyped-def]
    ) -> None:
        """A 10 KiB or empty release, an overlong description, a bad time or an unknown
        project: exit 1 with the reason, no row. (A NUL cannot reach the CLI: argv cannot
        carry one; check_deploy's own test covers it for the API to come.)"""
        cli("project", "create", "shop")
        cases = [
            (["--release", "r" * 10240], "1 to 64 characters"),
            (["--release", ""], "1 to 64 characters"),
            (["--release", "v1", "--description", "x" * 1001], "at most 1000"),
            (["--release", "v1", "--at", "yesterday"], "isoformat"),
        ]
        for args, reason in cases:
            result = cli("deploy", "record", "--project", "shop", *args, check=False)
            assert result.returncode != 0, args
            assert reason in result.stderr, (args, result.stderr)
        unknown = cli("deploy", "record", "--project", "nope", "--release", "v1", check=False)
        assert unknown.returncode == 1 and "no project" in unknown.stderr
        assert json.loads(cli("deploy", "list", "--project", "shop").stdout) == []


class TestCheckDeploy:
    def test_nul_is_refused_in_every_field(self) -> None:
        """PostgreSQL text cannot hold NUL: refused with the field's name, for the API to come."""
        for args, field in (
            (("v1\x00", None, None), "release"),
            (("v1", "https://x.example/\x00", None), "url"),
            (("v1", None, "a\x00b"), "description"),
        ):
            with pytest.raises(ValueError, match=f"the {field} must not contain NUL"):
                check_deploy(*args)
