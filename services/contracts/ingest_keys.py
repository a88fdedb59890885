"""Ingest keys in the database, and keeping the Redis key registry in step with them:
the statements the CLI (`vitals key …`) and the admin API both use, so a key made or
revoked either way reaches ingest the same way.

Order: the database first, then the registry (key_registry.py's rebuild relies on it).
A key is published only after its row is committed, so a failed commit never leaves a
working key behind; a revoked key is withdrawn only after its revocation is committed,
so a concurrent rebuild cannot bring it back.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec
import redis.asyncio

from services.contracts import key_registry as registry
from services.contracts.database import Connection
from services.contracts.keys import display_prefix, key_hash, new_key

MAX_LABEL_LENGTH = 100  # a name people tell keys apart by ("shop.example.com, production")


class IngestKey(msgspec.Struct, frozen=True):
    id: int
    project_id: int
    prefix: str  # the first characters of the key, to recognise it in a list
    label: str
    created_at: datetime
    revoked_at: datetime | None


class CreatedKey(msgspec.Struct, frozen=True):
    """The answer that made a key: the only time the key itself is shown."""

    key: str
    ingest_key: IngestKey


KEY_COLUMNS = "id, project_id, prefix, label, created_at, revoked_at"
INSERT_KEY = f"""
INSERT INTO ingest_keys (project_id, key_hash, prefix, label) VALUES ($1, $2, $3, $4)
RETURNING {KEY_COLUMNS}
"""
SELECT_KEYS = f"""
SELECT {KEY_COLUMNS} FROM ingest_keys WHERE $1::int IS NULL OR project_id = $1 ORDER BY id
"""
LABEL_KEY = f"""
UPDATE ingest_keys SET label = $3 WHERE project_id = $1 AND id = $2 RETURNING {KEY_COLUMNS}
"""
# coalesce: revoking a revoked key again keeps its first revocation time.
REVOKE_KEY_BY_ID = f"""
UPDATE ingest_keys SET revoked_at = coalesce(revoked_at, now())
WHERE project_id = $1 AND id = $2
RETURNING {KEY_COLUMNS}, key_hash
"""
# The CLI's form: by the full key or its displayed prefix, in any project.
REVOKE_KEY_BY_VALUE = """
UPDATE ingest_keys SET revoked_at = now()
WHERE (prefix = $1 OR key_hash = $2) AND revoked_at IS NULL
RETURNING key_hash
"""


def key_of(row: asyncpg.Record) -> IngestKey:
    return IngestKey(*(row[field] for field in IngestKey.__struct_fields__))


async def insert_key(connection: Connection, project_id: int, label: str) -> CreatedKey:
    """A new key's row; not usable by ingest until `publish_project` runs after commit."""
    key = new_key()
    row = await connection.fetchrow(
        INSERT_KEY, project_id, key_hash(key), display_prefix(key), label
    )
    assert row is not None  # RETURNING yields the inserted row
    return CreatedKey(key, key_of(row))


async def list_keys(connection: Connection, project_id: int | None) -> list[IngestKey]:
    return [key_of(row) for row in await connection.fetch(SELECT_KEYS, project_id)]


async def revoke_by_value(connection: Connection, key_or_prefix: str) -> list[str]:
    """Revokes by full key or displayed prefix; the revoked keys' hashes (none: no match)."""
    rows = await connection.fetch(REVOKE_KEY_BY_VALUE, key_or_prefix, key_hash(key_or_prefix))
    return [row["key_hash"] for row in rows]


async def publish_project(
    connection: Connection, client: redis.asyncio.Redis, project_id: int
) -> None:
    """Write the project's active keys, with its current settings, into the registry
    (after a key was made or the project's ingest settings changed)."""
    await registry.publish(client, await registry.active_key_access(connection, project_id))


async def withdraw(client: redis.asyncio.Redis, hashes: list[str]) -> None:
    await registry.withdraw(client, hashes)
