"""`vitals deploy-token create|list|revoke` (issue 13), as a real process."""

from __future__ import annotations

import hashlib
import json

import asyncpg


class TestDeployTokens:
    async def test_a_token_is_shown_once_and_stored_only_hashed(
        self,
        cli,
        db: asyncpg.Connection,  # type: ignore[no-untyped-def]
    ) -> None:
        cli("project", "create", "shop")
        created = json.loads(
            cli("deploy-token", "create", "--project", "shop", "--label", "GHA").stdout
        )
        token = created["token"]
        assert token.startswith("vdt_") and len(token) == 47
        stored = await db.fetchrow("SELECT token_sha256, hint, label FROM deploy_tokens")
        assert stored["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
        assert stored["hint"] == token[:10] and stored["label"] == "GHA"
        everything = await db.fetch("SELECT * FROM deploy_tokens")
        assert token not in json.dumps([dict(r) for r in everything], default=str)
        listed = cli("deploy-token", "list", "--project", "shop").stdout
        assert token not in listed and json.loads(listed)[0]["hint"] == token[:10]

    async def test_revoke_only_within_the_named_project(
        self,
        cli,
        db: asyncpg.Connection,  # type: ignore[no-untyped-def]
    ) -> None:
        """A token id of another project is not found (exit 1) and stays live."""
        cli("project", "create", "alpha")
        cli("project", "create", "beta")
        cli("deploy-token", "create", "--project", "alpha", "--label", "CI")
        refused = cli("deploy-token", "revoke", "--project", "beta", "1", check=False)
        assert refused.returncode == 1 and "no deploy token 1" in refused.stderr
        assert await db.fetchval("SELECT revoked_at FROM deploy_tokens WHERE id = 1") is None
        revoked = json.loads(cli("deploy-token", "revoke", "--project", "alpha", "1").stdout)
        assert revoked["revoked_at"] is not None

    async def test_a_bad_label_is_refused_before_anything_is_written(
        self,
        cli,
        db: asyncpg.Connection,  # type: ignore[no-untyped-def]
    ) -> None:
        cli("project", "create", "shop")
        for label in ("", "x" * 101):
            result = cli(
                "deploy-token", "create", "--project", "shop", "--label", label, check=False
            )
            assert result.returncode == 1 and "label" in result.stderr
        assert await db.fetchval("SELECT count(*) FROM deploy_tokens") == 0
