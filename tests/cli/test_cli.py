"""The `vitals` command, run as a real process against the test database and Redis."""

from __future__ import annotations

import json

import asyncpg
import jwt
import redis.asyncio

from services.contracts.keys import REGISTRY_KEY, decode_access, key_hash
from services.contracts.settings import Settings
from services.contracts.tokens import verify_token
from tests.support.cli import vitals


class TestProjects:
    def test_create_and_list(self, cli) -> None:  # type: ignore[no-untyped-def]
        """A created project shows up in the list with its settings."""
        created = json.loads(
            cli(
                "project",
                "create",
                "shop",
                "--origin",
                "https://shop.example",
                "--rate-limit",
                "120",
            ).stdout
        )
        listed = json.loads(cli("project", "list").stdout)
        assert listed == [created]
        assert created["allowed_origins"] == ["https://shop.example"]
        assert created["rate_limit_per_minute"] == 120

    def test_duplicate_and_bad_slug_are_clear_errors(self, cli) -> None:  # type: ignore[no-untyped-def]
        """A taken or malformed slug exits non-zero with a message naming the problem."""
        cli("project", "create", "shop")
        duplicate = cli("project", "create", "shop", check=False)
        assert duplicate.returncode == 1
        assert "already exists" in duplicate.stderr
        bad = cli("project", "create", "Not A Slug!", check=False)
        assert bad.returncode == 1
        assert "invalid project" in bad.stderr

    def test_bad_arguments_exit_2(self, cli) -> None:  # type: ignore[no-untyped-def]
        """argparse errors (a non-numeric rate limit, a missing command) exit with 2."""
        assert cli("project", "create", "x", "--rate-limit", "lots", check=False).returncode == 2
        assert cli(check=False).returncode == 2


class TestKeys:
    async def test_create_publishes_and_revoke_withdraws(
        self, cli, redis_client: redis.asyncio.Redis
    ) -> None:  # type: ignore[no-untyped-def]
        """A new key appears in the Redis registry; revoking it removes it."""
        cli("project", "create", "shop", "--origin", "https://shop.example")
        key = cli("key", "create", "shop").stdout.strip()
        assert key.startswith("vk_")
        raw = await redis_client.hget(REGISTRY_KEY, key_hash(key))
        assert raw is not None
        access = decode_access(raw)
        assert access.allowed_origins == ("https://shop.example",)
        cli("key", "revoke", key)
        assert await redis_client.hget(REGISTRY_KEY, key_hash(key)) is None
        listed = json.loads(cli("key", "list", "shop").stdout)
        assert listed[0]["revoked_at"] is not None
        assert key not in json.dumps(listed)  # only prefixes are ever shown again

    async def test_database_stores_only_the_hash(self, cli, db: asyncpg.Connection) -> None:  # type: ignore[no-untyped-def]
        """The key itself is nowhere in the database."""
        cli("project", "create", "shop")
        key = cli("key", "create", "shop").stdout.strip()
        rows = await db.fetch("SELECT * FROM ingest_keys")
        assert key not in json.dumps([dict(r) for r in rows], default=str)
        assert rows[0]["key_hash"] == key_hash(key)

    async def test_sync_rebuilds_the_registry(self, cli, redis_client: redis.asyncio.Redis) -> None:  # type: ignore[no-untyped-def]
        """`keys sync` restores a lost registry and drops entries the database does not know."""
        cli("project", "create", "shop")
        live = cli("key", "create", "shop").stdout.strip()
        revoked = cli("key", "create", "shop").stdout.strip()
        cli("key", "revoke", revoked)
        await redis_client.delete(REGISTRY_KEY)
        await redis_client.hset(REGISTRY_KEY, "stale-hash", b"{}")
        cli("keys", "sync")
        assert set(await redis_client.hkeys(REGISTRY_KEY)) == {key_hash(live).encode()}

    async def test_project_update_republishes(self, cli, redis_client: redis.asyncio.Redis) -> None:  # type: ignore[no-untyped-def]
        """Changing a project's origins reaches ingest through the registry."""
        cli("project", "create", "shop")
        key = cli("key", "create", "shop").stdout.strip()
        cli("project", "update", "shop", "--origin", "https://new.example", "--filter-bots", "off")
        access = decode_access(await redis_client.hget(REGISTRY_KEY, key_hash(key)))
        assert access.allowed_origins == ("https://new.example",)
        assert access.filter_bots is False

    def test_revoking_an_unknown_key_fails(self, cli) -> None:  # type: ignore[no-untyped-def]
        """Revoking something that is not an active key says so and exits 1."""
        result = cli("key", "revoke", "vk_nothing", check=False)
        assert result.returncode == 1
        assert "no active key" in result.stderr


class TestTokens:
    def test_token_round_trip(self, cli, settings: Settings) -> None:  # type: ignore[no-untyped-def]
        """A minted token verifies with the service rules and grants exactly its projects."""
        cli("project", "create", "a")
        cli("project", "create", "b")
        token = cli("token", "--project", "b", "--lifetime", "60").stdout.strip()
        claims = verify_token(settings, token)
        assert claims.projects == (2,)
        assert claims.exp - claims.iat == 60
        assert jwt.get_unverified_header(token)["alg"] == "HS256"

    def test_unknown_project_and_bad_lifetime_fail(self, cli) -> None:  # type: ignore[no-untyped-def]
        """A token for a project that does not exist, or for too long, is refused."""
        assert "no project" in cli("token", "--project", "ghost", check=False).stderr
        cli("project", "create", "a")
        too_long = cli("token", "--project", "a", "--lifetime", str(10**9), check=False)
        assert too_long.returncode == 1
        assert "lifetime" in too_long.stderr

    def test_lifetime_beyond_the_cap_is_refused(self, cli) -> None:  # type: ignore[no-untyped-def]
        """`--lifetime` one second past VITALS_JWT_MAX_LIFETIME_S exits 1 naming the cap."""
        cli("project", "create", "a")
        result = cli("token", "--project", "a", "--lifetime", "86401", check=False)
        assert result.returncode == 1
        assert "VITALS_JWT_MAX_LIFETIME_S" in result.stderr
        assert result.stdout == ""

    def test_missing_secret_is_named(self, settings: Settings, db: asyncpg.Connection) -> None:
        """Without VITALS_JWT_SECRET the error names the variable."""
        vitals(settings, "project", "create", "a")
        env_less = Settings(database_url=settings.database_url, redis_url=settings.redis_url)
        result = vitals(env_less, "token", "--project", "a", check=False)
        assert result.returncode == 1
        assert "VITALS_JWT_SECRET" in result.stderr


class TestUsers:
    async def test_user_password_is_hashed_with_argon2(self, cli, db: asyncpg.Connection) -> None:  # type: ignore[no-untyped-def]
        """A user's password is stored as an argon2id hash, and they get their projects."""
        cli("project", "create", "a")
        cli("user", "create", "ann@example.com", "--password", "correct horse", "--project", "a")
        row = await db.fetchrow("SELECT password_hash FROM users WHERE email = 'ann@example.com'")
        assert row["password_hash"].startswith("$argon2id$")
        assert await db.fetchval("SELECT count(*) FROM user_projects") == 1

    async def test_password_and_revoke_move_the_token_generation(  # type: ignore[no-untyped-def]
        self, cli, db: asyncpg.Connection
    ) -> None:
        """`user password` and `user revoke` each end earlier tokens by bumping the generation."""
        cli("user", "create", "ann@example.com", "--password", "correct horse")
        generation = "SELECT token_generation FROM users WHERE email = 'ann@example.com'"
        assert await db.fetchval(generation) == 0
        cli("user", "password", "ann@example.com", "--password", "battery staple")
        assert await db.fetchval(generation) == 1
        assert "revoked" in cli("user", "revoke", "ann@example.com").stdout
        assert await db.fetchval(generation) == 2

    def test_unknown_user_or_short_password_fails(self, cli) -> None:  # type: ignore[no-untyped-def]
        """Revoking an unknown user, or a password under 8 characters, exits 1 saying why."""
        unknown = cli("user", "revoke", "nobody@example.com", check=False)
        assert (unknown.returncode, "no user" in unknown.stderr) == (1, True)
        short = cli("user", "password", "nobody@example.com", "--password", "short", check=False)
        assert (short.returncode, "at least 8" in short.stderr) == (1, True)
