"""`/v1/projects/{project_id}/alerts/destinations`: the webhooks a project's alert
notifications go to (issue 14). Made by its admins, seen by anyone the token grants the
project. The signing secret is answered once, to the POST that made it; afterwards no
one reads it back but the workers that sign with it (migrations/0017_alerts.sql)."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response, delete, get, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_204_NO_CONTENT

from services.admin.json_bodies import MAX_BODY_BYTES, decode_body, invalid
from services.admin.user_auth import require_admin, require_viewer
from services.contracts.alert_statements import (
    DELETE_DESTINATION,
    INSERT_DESTINATION,
    MAX_DESTINATIONS_PER_PROJECT,
    SELECT_DESTINATIONS,
    new_secret,
)
from services.contracts.alerts import (
    AlertDestination,
    CreatedDestination,
    DestinationSpec,
    DestinationUrlError,
    check_destination_url,
)  # fmt: skip
from services.contracts.database_errors import guarded
from services.contracts.errors import ApiError
from services.contracts.settings import Settings

CODE = "invalid_alert_destination"
DESTINATION_IDS = range(1, 2**63)
PATH = "/v1/projects/{project_id:int}/alerts/destinations"


def destination_of(row: asyncpg.Record) -> AlertDestination:
    destination: AlertDestination = msgspec.convert(dict(row.items()), AlertDestination)
    return destination


@get(PATH, guards=[require_viewer], summary="A project's alert destinations (no secrets)")
async def list_destinations(
    request: Request[Any, Any, Any], project_id: FromPath[int]
) -> list[AlertDestination]:
    rows = await guarded(lambda: request.app.state.db.fetch(SELECT_DESTINATIONS, project_id))
    return [destination_of(row) for row in rows]


@post(PATH, guards=[require_admin], request_max_body_size=MAX_BODY_BYTES,
      summary="Add a webhook destination (admins); its secret is shown once")  # fmt: skip
async def create_destination(
    request: Request[Any, Any, Any], project_id: FromPath[int]
) -> Response[CreatedDestination]:
    spec: DestinationSpec = decode_body(await request.body(), DestinationSpec, CODE)
    settings: Settings = request.app.state.settings
    try:
        await check_destination_url(
            spec.url, allow_private=settings.alerts_allow_private_destinations
        )
    except DestinationUrlError as exc:
        raise invalid(CODE, exc) from None
    secret = new_secret()
    db = request.app.state.db
    try:
        row = await guarded(lambda: db.fetchrow(
            INSERT_DESTINATION, project_id, spec.name, spec.url, spec.format, secret,
            MAX_DESTINATIONS_PER_PROJECT,
        ))  # fmt: skip
    except asyncpg.UniqueViolationError:
        detail = f"the project has a destination named {spec.name!r}"
        raise ApiError(409, "alert_destination_exists", detail) from None
    except asyncpg.CheckViolationError as exc:
        raise ApiError(400, CODE, f"refused by {exc.constraint_name}") from None
    except asyncpg.ForeignKeyViolationError:
        raise ApiError(404, "not_found", "the project does not exist") from None
    if row is None:
        detail = f"a project has at most {MAX_DESTINATIONS_PER_PROJECT} destinations"
        raise ApiError(409, "too_many_alert_destinations", detail)
    return Response(CreatedDestination(secret, destination_of(row)), status_code=201)


@delete(PATH + "/{destination_id:int}", guards=[require_admin],
        status_code=HTTP_204_NO_CONTENT,
        summary="Remove a destination (the project's admins)")  # fmt: skip
async def delete_destination(
    request: Request[Any, Any, Any], project_id: FromPath[int], destination_id: FromPath[int]
) -> None:
    missing = ApiError(
        404, "alert_destination_not_found", f"this project has no destination {destination_id}"
    )
    if destination_id not in DESTINATION_IDS:
        raise missing
    deleted = await guarded(
        lambda: request.app.state.db.fetchval(DELETE_DESTINATION, project_id, destination_id)
    )
    if deleted is None:
        raise missing


DESTINATION_HANDLERS = [list_destinations, create_destination, delete_destination]
