"""`vitals project delete` and `vitals user remove`: the admin API's deletions from the
operator's shell, with the same effects."""

from __future__ import annotations

import subprocess
import sys

import asyncpg
import redis.asyncio
from rq import Queue
from rq.serializers import JSONSerializer

from services.contracts import key_registry as registry
from services.contracts.keys import key_hash
from services.contracts.project_deletion import PROJECT_DELETED
from services.contracts.queue import QUEUE_NAME
from services.contracts.redis_client import sync_redis
from services.contracts.settings import Settings
from tests.support.processes import ROOT, settings_env


def queued_purges(settings: Settings) -> list[int]:
    connection = sync_redis(settings)
    try:
        jobs = Queue(QUEUE_NAME, connection=connection, serializer=JSONSerializer).jobs
        return [job.args[0] for job in jobs if job.func_name == PROJECT_DELETED]
    finally:
        connection.close()


class TestProjectDelete:
    async def test_the_slug_must_be_typed_again(
        self,
        cli,
        settings: Settings,
        db: asyncpg.Connection,  # type: ignore[no-untyped-def]
    ) -> None:
        """A wrong confirmation, or none when there is no terminal to ask, deletes nothing."""
        cli("project", "create", "shop")
        wrong = cli("project", "delete", "shop", "--confirm", "shops", check=False)
        assert wrong.returncode == 1 and "does not match" in wrong.stderr
        unasked = cli("project", "delete", "shop", check=False)  # stdin is not a terminal
        assert unasked.returncode == 1
        assert await db.fetchval("SELECT deleted_at FROM projects") is None
        assert queued_purges(settings) == []

    async def test_a_confirmed_deletion_revokes_keys_and_queues_the_purge(
        self, cli, settings: Settings, db: asyncpg.Connection,  # type: ignore[no-untyped-def]
        redis_client: redis.asyncio.Redis,
    ) -> None:  # fmt: skip
        """Typed at the prompt: the project leaves every listing, its key the registry,
        and the workers get the purge."""
        cli("project", "create", "shop")
        key = cli("key", "create", "shop").stdout.strip()
        assert await redis_client.hget(registry.REGISTRY_KEY, key_hash(key)) is not None
        typed = subprocess.run(
            [sys.executable, "-m", "services.cli.main", "project", "delete", "shop"],
            env=settings_env(settings), cwd=ROOT, capture_output=True, text=True, timeout=60,
            input="shop\n", check=False,
        )  # fmt: skip
        assert typed.returncode == 0, typed.stderr
        assert "1 key(s) revoked" in typed.stdout
        assert await redis_client.hget(registry.REGISTRY_KEY, key_hash(key)) is None
        assert queued_purges(settings) == [1]
        assert cli("project", "list").stdout.strip() == "[]"
        again = cli("project", "delete", "shop", "--confirm", "shop", check=False)
        assert again.returncode == 1  # gone already


class TestUserRemove:
    async def test_a_removed_user_is_gone_with_their_grants(
        self,
        cli,
        db: asyncpg.Connection,  # type: ignore[no-untyped-def]
    ) -> None:
        cli("project", "create", "shop")
        cli("user", "create", "ann@example.com", "--password", "long enough", "--project", "shop")
        removed = cli("user", "remove", "ann@example.com")
        assert "removed" in removed.stdout
        assert await db.fetchval("SELECT count(*) FROM users") == 0
        assert await db.fetchval("SELECT count(*) FROM user_projects") == 0
        missing = cli("user", "remove", "ann@example.com", check=False)
        assert missing.returncode == 1 and "no user" in missing.stderr
