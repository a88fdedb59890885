"""Projects, ingest keys and users in the database: the CLI's named statements."""

from __future__ import annotations

import asyncpg
import msgspec

from services.contracts import ingest_keys
from services.contracts.ingest_keys import IngestKey as KeyRow
from services.contracts.settings import Settings


class CatalogError(Exception):
    """An operator's request names something that does not exist or already exists."""


class Project(msgspec.Struct, frozen=True):
    id: int
    slug: str
    name: str
    allowed_origins: list[str]
    rate_limit_per_minute: int
    filter_bots: bool


INSERT_PROJECT = """
INSERT INTO projects (slug, name, allowed_origins, rate_limit_per_minute, filter_bots)
VALUES ($1, $2, $3, $4, $5)
RETURNING id, slug, name, allowed_origins, rate_limit_per_minute, filter_bots
"""
# A project being deleted (projects.deleted_at) is gone for every command.
SELECT_PROJECTS = """
SELECT id, slug, name, allowed_origins, rate_limit_per_minute, filter_bots
FROM projects WHERE deleted_at IS NULL ORDER BY id
"""
SELECT_PROJECT = """
SELECT id, slug, name, allowed_origins, rate_limit_per_minute, filter_bots
FROM projects WHERE (slug = $1 OR id::text = $1) AND deleted_at IS NULL
"""
UPDATE_PROJECT = """
UPDATE projects SET
    allowed_origins = coalesce($2, allowed_origins),
    rate_limit_per_minute = coalesce($3, rate_limit_per_minute),
    filter_bots = coalesce($4, filter_bots)
WHERE id = $1 AND deleted_at IS NULL
RETURNING id, slug, name, allowed_origins, rate_limit_per_minute, filter_bots
"""
# A new password ends every token issued under the old one: the generation moves on.
INSERT_USER = """
INSERT INTO users (email, password_hash) VALUES ($1, $2)
ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash,
    password_set_at = now(), token_generation = users.token_generation + 1
RETURNING id
"""
REPLACE_HASH = """
UPDATE users SET password_hash = $2, password_set_at = now(),
    token_generation = token_generation + 1
WHERE email = $1 RETURNING token_generation
"""
REVOKE_TOKENS = """
UPDATE users SET token_generation = token_generation + 1
WHERE email = $1 RETURNING token_generation
"""
GRANT_USER = """
INSERT INTO user_projects (user_id, project_id) SELECT $1, unnest($2::int[])
ON CONFLICT DO NOTHING
"""


async def create_project(
    connection: asyncpg.Connection,
    *,
    slug: str,
    name: str,
    allowed_origins: list[str],
    rate_limit_per_minute: int,
    filter_bots: bool,
) -> Project:
    try:
        row = await connection.fetchrow(
            INSERT_PROJECT, slug, name, allowed_origins, rate_limit_per_minute, filter_bots
        )
    except asyncpg.UniqueViolationError:
        raise CatalogError(f"a project with slug {slug!r} already exists") from None
    except asyncpg.CheckViolationError as exc:
        raise CatalogError(f"invalid project: {exc.constraint_name}") from None
    assert row is not None  # RETURNING always yields the inserted row
    return Project(**dict(row))


async def list_projects(connection: asyncpg.Connection) -> list[Project]:
    return [Project(**dict(row)) for row in await connection.fetch(SELECT_PROJECTS)]


async def get_project(connection: asyncpg.Connection, slug_or_id: str) -> Project:
    row = await connection.fetchrow(SELECT_PROJECT, slug_or_id)
    if row is None:
        raise CatalogError(f"no project {slug_or_id!r}")
    return Project(**dict(row))


async def update_project(
    connection: asyncpg.Connection,
    project_id: int,
    *,
    allowed_origins: list[str] | None = None,
    rate_limit_per_minute: int | None = None,
    filter_bots: bool | None = None,
) -> Project:
    row = await connection.fetchrow(
        UPDATE_PROJECT, project_id, allowed_origins, rate_limit_per_minute, filter_bots
    )
    if row is None:
        raise CatalogError(f"no project {project_id}")
    return Project(**dict(row))


async def create_key(connection: asyncpg.Connection, project_id: int, label: str) -> str:
    """Returns the new key: the only time it exists outside the caller's hands."""
    return (await ingest_keys.insert_key(connection, project_id, label)).key


async def revoke_key(connection: asyncpg.Connection, key_or_prefix: str) -> list[str]:
    """Revokes by full key or by its displayed prefix; returns the revoked hashes."""
    hashes = await ingest_keys.revoke_by_value(connection, key_or_prefix)
    if not hashes:
        raise CatalogError(f"no active key matches {key_or_prefix!r}")
    return hashes


async def list_keys(connection: asyncpg.Connection, project_id: int | None) -> list[KeyRow]:
    return await ingest_keys.list_keys(connection, project_id)


async def upsert_user(
    connection: asyncpg.Connection, email: str, password_hash: str, project_ids: list[int]
) -> int:
    async with connection.transaction():
        user_id: int = await connection.fetchval(INSERT_USER, email, password_hash)
        await connection.execute(GRANT_USER, user_id, project_ids)
    return user_id


async def set_password(connection: asyncpg.Connection, email: str, password_hash: str) -> int:
    """Replaces the user's password and ends their tokens; returns the new generation."""
    generation: int | None = await connection.fetchval(REPLACE_HASH, email, password_hash)
    if generation is None:
        raise CatalogError(f"no user {email!r}")
    return generation


async def revoke_tokens(connection: asyncpg.Connection, email: str) -> int:
    """Ends every token issued to the user so far; returns the new generation."""
    generation: int | None = await connection.fetchval(REVOKE_TOKENS, email)
    if generation is None:
        raise CatalogError(f"no user {email!r}")
    return generation


async def connect(settings: Settings) -> asyncpg.Connection:
    """The CLI's database session, named so operators can tell it apart in pg_stat_activity."""
    return await asyncpg.connect(
        settings.database_url, server_settings={"application_name": "vitals.cli"}
    )
