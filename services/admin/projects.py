"""`/v1/admin/projects`: a project's settings (its admins), new projects (owners), and
deletion (its admins, after typing the slug). Ingest reads a project's origins, rate
limit and bot filter from the key registry, so every change republishes its keys."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import msgspec
import structlog
from litestar import Request, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody

from services.admin.json_bodies import MAX_BODY_BYTES, body_errors
from services.admin.me import fresh_token
from services.admin.openapi import SIGNED_IN, WRITE
from services.admin.project_shapes import (
    CODE,
    DeleteConfirmation,
    NewProject,
    Project,
    ProjectChanges,
    checked_rules,
    clean_origins,
    project_of,
)
from services.admin.registry_sync import registry_unavailable
from services.admin.user_auth import claims_of, require_admin, require_owner, require_user
from services.contracts.database_errors import guarded
from services.contracts.errors import ApiError
from services.contracts.ingest_keys import publish_project, withdraw
from services.contracts.project_deletion import enqueue_purge, mark_deleted

PATH = "/v1/admin/projects"
log = structlog.get_logger()
ONE = PATH + "/{project_id:int}"
COLUMNS = """id, slug, name, allowed_origins, rate_limit_per_minute, filter_bots,
    route_rules::text AS route_rules, keep_trailing_slash, created_at"""
SELECT_PROJECT = f"SELECT {COLUMNS} FROM projects WHERE id = $1 AND deleted_at IS NULL"
SELECT_PROJECTS = f"""
SELECT {COLUMNS} FROM projects
WHERE deleted_at IS NULL AND ($1 OR id = ANY($2::int[])) ORDER BY id
"""
INSERT_PROJECT = f"""
INSERT INTO projects (slug, name, allowed_origins, rate_limit_per_minute, filter_bots, route_rules)
VALUES ($1, $2, $3, $4, $5, $6::jsonb)
RETURNING {COLUMNS}
"""
UPDATE_PROJECT = f"""
UPDATE projects SET
    name = coalesce($2, name),
    allowed_origins = coalesce($3, allowed_origins),
    rate_limit_per_minute = coalesce($4, rate_limit_per_minute),
    filter_bots = coalesce($5, filter_bots),
    route_rules = coalesce($6::jsonb, route_rules),
    keep_trailing_slash = coalesce($7, keep_trailing_slash)
WHERE id = $1 AND deleted_at IS NULL
RETURNING {COLUMNS}
"""
LOCK_PROJECT = "SELECT slug FROM projects WHERE id = $1 AND deleted_at IS NULL FOR UPDATE"
SLUG_TAKEN = "SELECT deleted_at IS NOT NULL FROM projects WHERE slug = $1"


class DeletedProject(msgspec.Struct, frozen=True):
    project_id: int
    slug: str
    status: str  # "purging": the data goes in the background
    # The caller's own token ended with the others (see contracts/project_deletion.py):
    # this one replaces it, with the same expiry. None for a token without a user.
    token: str | None


def no_project(project_id: int) -> ApiError:
    return ApiError(404, "project_not_found", f"there is no project {project_id}")


@get(
    PATH,
    responses=SIGNED_IN,
    guards=[require_user],
    summary="The projects the caller administers, with settings",
)
async def list_projects(request: Request[Any, Any, Any]) -> list[Project]:
    claims = claims_of(request)
    administered = [p for p in claims.projects if claims.administers(p)]
    rows = await guarded(
        lambda: request.app.state.db.fetch(SELECT_PROJECTS, claims.owner, administered)
    )
    return [project_of(row) for row in rows]


@post(PATH, responses=WRITE, guards=[require_owner], request_max_body_size=MAX_BODY_BYTES,
      exception_handlers=body_errors(CODE), summary="Create a project (owners)")  # fmt: skip
async def create_project(
    request: Request[Any, Any, Any], data: JSONBody[NewProject]
) -> Response[Project]:
    new = data
    origins = clean_origins(new.allowed_origins)
    rules = checked_rules(new.route_rules)
    db = request.app.state.db

    async def insert() -> asyncpg.Record:
        async with db.acquire() as connection, connection.transaction():
            row: asyncpg.Record = await connection.fetchrow(
                INSERT_PROJECT, new.slug, new.name or new.slug, origins,
                new.rate_limit_per_minute, new.filter_bots, rules,
            )  # fmt: skip
            if new.keep_trailing_slash:  # a later column: set by UPDATE (migration 0020)
                row = await connection.fetchrow(
                    UPDATE_PROJECT, row["id"], None, None, None, None, None, True
                )
            return row

    try:
        row = await guarded(insert)
    except asyncpg.UniqueViolationError:
        deleting = await guarded(lambda: db.fetchval(SLUG_TAKEN, new.slug))
        detail = f"a project with slug {new.slug!r} " + (
            "is being deleted; try again in a few minutes" if deleting else "exists"
        )
        raise ApiError(409, "project_exists", detail) from None
    except asyncpg.CheckViolationError as exc:
        raise ApiError(400, CODE, f"refused by {exc.constraint_name}") from None
    return Response(project_of(row), status_code=201)


@get(ONE, responses=WRITE, guards=[require_admin], summary="A project's settings (its admins)")
async def show_project(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Project:
    row = await guarded(lambda: request.app.state.db.fetchrow(SELECT_PROJECT, project_id))
    if row is None:
        raise no_project(project_id)
    return project_of(row)


@patch(ONE, responses=WRITE, guards=[require_admin], request_max_body_size=MAX_BODY_BYTES,
       exception_handlers=body_errors(CODE),
       summary="Change a project's name, ingest settings or route rules (admins)")  # fmt: skip
async def update_project(
    request: Request[Any, Any, Any], project_id: FromPath[int], data: JSONBody[ProjectChanges]
) -> Project:
    changes = data
    origins = clean_origins(changes.allowed_origins)
    rules = checked_rules(changes.route_rules)
    db = request.app.state.db

    async def update() -> asyncpg.Record | None:
        async with db.acquire() as connection:
            row: asyncpg.Record | None = await connection.fetchrow(
                UPDATE_PROJECT, project_id, changes.name, origins,
                changes.rate_limit_per_minute, changes.filter_bots, rules,
                changes.keep_trailing_slash,
            )  # fmt: skip
            if row is not None:
                try:
                    await publish_project(connection, request.app.state.redis, project_id)
                except Exception as exc:
                    raise registry_unavailable(exc, "the settings are saved") from None
            return row

    try:
        row = await guarded(update)
    except asyncpg.CheckViolationError as exc:
        raise ApiError(400, CODE, f"refused by {exc.constraint_name}") from None
    if row is None:
        raise no_project(project_id)
    return project_of(row)


@delete(ONE, responses=WRITE, guards=[require_admin], status_code=202, request_max_body_size=1024,
        exception_handlers=body_errors("invalid_confirmation"),
        summary="Delete a project and its data (admins; the body repeats the slug)")  # fmt: skip
async def delete_project(
    request: Request[Any, Any, Any], project_id: FromPath[int], data: JSONBody[DeleteConfirmation]
) -> Response[DeletedProject]:
    confirmation = data
    state = request.app.state

    async def mark() -> Any:
        async with state.db.acquire() as connection, connection.transaction():
            slug = await connection.fetchval(LOCK_PROJECT, project_id)
            if slug is None:
                raise no_project(project_id)
            if confirmation.confirm != slug:
                raise ApiError(400, "slug_mismatch",
                               "type the project's slug in `confirm` to delete it")  # fmt: skip
            return await mark_deleted(connection, project_id)

    deletion = await guarded(mark)
    if deletion is None:  # deleted meanwhile by someone else
        raise no_project(project_id)
    try:
        await withdraw(state.redis, deletion.key_hashes)
        await asyncio.to_thread(enqueue_purge, state.queue, project_id)
    except Exception as exc:
        # Deleted all the same (a retry would find nothing to delete): the workers' hourly
        # sweep queues the purge, which withdraws the keys too (workers/purge.py).
        log.warning("project_deletion_not_queued", project_id=project_id, error=repr(exc))
    refreshed = await fresh_token(request, claims_of(request))
    token = refreshed.token if refreshed is not None else None
    return Response(DeletedProject(project_id, deletion.slug, "purging", token), status_code=202)


PROJECT_HANDLERS = [list_projects, create_project, show_project, update_project, delete_project]
