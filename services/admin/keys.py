"""`/v1/admin/projects/{project_id}/keys`: a project's ingest keys (its admins). The key
itself is answered once, to the POST that made it; only its SHA-256 is kept. A key made
or revoked here reaches ingest through the Redis key registry at once, as with `vitals
key` (services/contracts/ingest_keys.py); ingest's own cache may honour a revoked key
for VITALS_KEY_CACHE_TTL_S more. A key of another project answers 404, as one that does
not exist."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Request, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody

from services.admin.json_bodies import body_errors
from services.admin.openapi import WRITE
from services.admin.registry_sync import registry_unavailable
from services.admin.user_auth import require_admin
from services.contracts.database_errors import guarded
from services.contracts.errors import ApiError
from services.contracts.ingest_keys import (
    LABEL_KEY,
    MAX_LABEL_LENGTH,
    REVOKE_KEY_BY_ID,
    CreatedKey,
    IngestKey,
    insert_key,
    key_of,
    list_keys,
    publish_project,
    withdraw,
)  # fmt: skip

CODE = "invalid_key"
PATH = "/v1/admin/projects/{project_id:int}/keys"
ONE = PATH + "/{key_id:int}"
KEY_IDS = range(1, 2**31)  # ingest_keys.id is an integer
MAX_KEYS_PER_PROJECT = 100
LIVE_PROJECT = "SELECT true FROM projects WHERE id = $1 AND deleted_at IS NULL FOR SHARE"
COUNT_KEYS = "SELECT count(*) FROM ingest_keys WHERE project_id = $1"
Label = Annotated[str, msgspec.Meta(max_length=MAX_LABEL_LENGTH, pattern="^[^\x00]*$")]


class KeyLabel(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    label: Label = ""


def no_key(key_id: int) -> ApiError:
    return ApiError(404, "key_not_found", f"this project has no key {key_id}")


@get(
    PATH,
    responses=WRITE,
    guards=[require_admin],
    summary="A project's ingest keys (prefixes, never keys)",
)
async def list_project_keys(
    request: Request[Any, Any, Any], project_id: FromPath[int]
) -> list[IngestKey]:
    return await guarded(lambda: list_keys(request.app.state.db, project_id))


@post(PATH, responses=WRITE, guards=[require_admin], request_max_body_size=1024,
      exception_handlers=body_errors(CODE),
      summary="Create an ingest key (admins); the key is in this answer only")  # fmt: skip
async def create_key(
    request: Request[Any, Any, Any],
    project_id: FromPath[int],
    data: JSONBody[KeyLabel | None] = None,
) -> Response[CreatedKey]:
    wanted = data or KeyLabel()
    state = request.app.state

    async def create() -> CreatedKey:
        async with state.db.acquire() as connection:
            async with connection.transaction():
                if not await connection.fetchval(LIVE_PROJECT, project_id):
                    raise ApiError(404, "project_not_found", f"there is no project {project_id}")
                if await connection.fetchval(COUNT_KEYS, project_id) >= MAX_KEYS_PER_PROJECT:
                    detail = f"a project has at most {MAX_KEYS_PER_PROJECT} keys, revoked included"
                    raise ApiError(409, "too_many_keys", detail)
                created = await insert_key(connection, project_id, wanted.label)
            try:  # committed: now ingest may learn it
                await publish_project(connection, state.redis, project_id)
            except Exception as exc:
                # Never shown, so never usable: revoked, not left active for a rebuild to
                # publish.
                await connection.execute(REVOKE_KEY_BY_ID, project_id, created.ingest_key.id)
                raise registry_unavailable(exc, "no key was made") from None
        return created

    return Response(await guarded(create), status_code=201)


@patch(ONE, responses=WRITE, guards=[require_admin], request_max_body_size=1024,
       exception_handlers=body_errors(CODE), summary="Change a key's label (admins)")  # fmt: skip
async def label_key(
    request: Request[Any, Any, Any], project_id: FromPath[int], key_id: FromPath[int],
    data: JSONBody[KeyLabel],
) -> IngestKey:  # fmt: skip
    wanted = data
    if key_id not in KEY_IDS:
        raise no_key(key_id)
    row = await guarded(
        lambda: request.app.state.db.fetchrow(LABEL_KEY, project_id, key_id, wanted.label)
    )
    if row is None:
        raise no_key(key_id)
    return key_of(row)


@delete(ONE, responses=WRITE, guards=[require_admin], status_code=200,
        summary="Revoke a key (admins): ingest refuses it within seconds")  # fmt: skip
async def revoke_key(
    request: Request[Any, Any, Any], project_id: FromPath[int], key_id: FromPath[int]
) -> IngestKey:
    if key_id not in KEY_IDS:
        raise no_key(key_id)
    state = request.app.state
    row: asyncpg.Record | None = await guarded(
        lambda: state.db.fetchrow(REVOKE_KEY_BY_ID, project_id, key_id)
    )
    if row is None:
        raise no_key(key_id)
    try:  # committed first, so a registry rebuild meanwhile cannot bring it back
        await withdraw(state.redis, [row["key_hash"]])
    except Exception as exc:
        raise registry_unavailable(exc, "the key is revoked in the database") from None
    return key_of(row)


KEY_HANDLERS = [list_project_keys, create_key, label_key, revoke_key]
