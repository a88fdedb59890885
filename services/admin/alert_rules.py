"""`/v1/projects/{project_id}/alerts/rules`: a project's alert rules (issue 14). Anyone the
token grants the project may read them; only its admins may write (user_auth.py). A rule
of another project answers 404, as one that does not exist: ids tell nothing."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response, delete, get, patch, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_204_NO_CONTENT

from services.admin.json_bodies import MAX_BODY_BYTES, decode_body, invalid
from services.admin.user_auth import require_admin, require_viewer
from services.contracts.alert_statements import (
    DELETE_RULE,
    INSERT_RULE,
    LOCK_RULE,
    MAX_RULES_PER_PROJECT,
    SELECT_RULE,
    SELECT_RULES,
    UPDATE_RULE,
)
from services.contracts.alerts import (
    AlertRule,
    RuleSpec,
    rule_columns,
    spec_fields,
)  # fmt: skip
from services.contracts.database_errors import guarded
from services.contracts.errors import ApiError

CODE = "invalid_alert_rule"
RULE_IDS = range(1, 2**63)  # alert_rules.id is a bigint
PATH = "/v1/projects/{project_id:int}/alerts/rules"


def rule_of(row: asyncpg.Record) -> AlertRule:
    rule: AlertRule = msgspec.convert(dict(row.items()), AlertRule)
    return rule


def no_rule(rule_id: int) -> ApiError:
    return ApiError(404, "alert_rule_not_found", f"this project has no alert rule {rule_id}")


async def written(write: Any, name: str) -> asyncpg.Record | None:
    """The row a write returned; the database's refusals as the client's errors."""
    try:
        row: asyncpg.Record | None = await guarded(write)
    except asyncpg.UniqueViolationError:
        raise ApiError(409, "alert_rule_exists", f"the project has a rule named {name!r}") from None
    except asyncpg.CheckViolationError as exc:  # the API checks first; the table has the last word
        raise ApiError(400, CODE, f"refused by {exc.constraint_name}") from None
    except asyncpg.ForeignKeyViolationError:
        raise ApiError(404, "not_found", "the project does not exist") from None
    return row


@get(PATH, guards=[require_viewer], summary="A project's alert rules")
async def list_rules(request: Request[Any, Any, Any], project_id: FromPath[int]) -> list[AlertRule]:
    rows = await guarded(lambda: request.app.state.db.fetch(SELECT_RULES, project_id))
    return [rule_of(row) for row in rows]


@post(PATH, guards=[require_admin], request_max_body_size=MAX_BODY_BYTES,
      summary="Create an alert rule (the project's admins)")  # fmt: skip
async def create_rule(
    request: Request[Any, Any, Any], project_id: FromPath[int]
) -> Response[AlertRule]:
    spec: RuleSpec = decode_body(await request.body(), RuleSpec, CODE)
    db = request.app.state.db
    params = rule_columns(spec)
    row = await written(
        lambda: db.fetchrow(INSERT_RULE, project_id, MAX_RULES_PER_PROJECT, *params), spec.name
    )
    if row is None:
        detail = f"a project has at most {MAX_RULES_PER_PROJECT} alert rules"
        raise ApiError(409, "too_many_alert_rules", detail)
    return Response(rule_of(row), status_code=201)


@get(PATH + "/{rule_id:int}", guards=[require_viewer], summary="One alert rule")
async def show_rule(
    request: Request[Any, Any, Any], project_id: FromPath[int], rule_id: FromPath[int]
) -> AlertRule:
    if rule_id not in RULE_IDS:
        raise no_rule(rule_id)
    row = await guarded(lambda: request.app.state.db.fetchrow(SELECT_RULE, project_id, rule_id))
    if row is None:
        raise no_rule(rule_id)
    return rule_of(row)


@patch(PATH + "/{rule_id:int}", guards=[require_admin], request_max_body_size=MAX_BODY_BYTES,
       summary="Change some of an alert rule's fields (the project's admins)")  # fmt: skip
async def update_rule(
    request: Request[Any, Any, Any], project_id: FromPath[int], rule_id: FromPath[int]
) -> AlertRule:
    changes: dict[str, Any] = decode_body(await request.body(), dict[str, Any], CODE)
    if rule_id not in RULE_IDS:
        raise no_rule(rule_id)
    db = request.app.state.db

    async def update() -> asyncpg.Record | None:
        async with db.acquire() as connection, connection.transaction():
            current = await connection.fetchrow(LOCK_RULE, project_id, rule_id)
            if current is None:
                raise no_rule(rule_id)
            spec = merged(rule_of(current), changes)
            row: asyncpg.Record | None = await connection.fetchrow(
                UPDATE_RULE, project_id, rule_id, *rule_columns(spec)
            )
            return row

    row = await written(update, str(changes.get("name", "")))
    assert row is not None  # the row is locked
    return rule_of(row)


def merged(rule: AlertRule, changes: dict[str, Any]) -> RuleSpec:
    """The rule with `changes` applied (a null clears an optional field), checked whole."""
    if changes.get("kind", rule.kind) != rule.kind:
        raise ApiError(400, CODE, "a rule's kind cannot change: create a new rule")
    try:
        spec: RuleSpec = msgspec.convert(spec_fields(rule) | changes, RuleSpec)
    except msgspec.ValidationError as exc:
        raise invalid(CODE, exc) from None
    return spec


@delete(PATH + "/{rule_id:int}", guards=[require_admin], status_code=HTTP_204_NO_CONTENT,
        summary="Delete an alert rule (the project's admins)")  # fmt: skip
async def delete_rule(
    request: Request[Any, Any, Any], project_id: FromPath[int], rule_id: FromPath[int]
) -> None:
    if rule_id not in RULE_IDS:
        raise no_rule(rule_id)
    deleted = await guarded(lambda: request.app.state.db.fetchval(DELETE_RULE, project_id, rule_id))
    if deleted is None:
        raise no_rule(rule_id)


RULE_HANDLERS = [list_rules, create_rule, show_rule, update_rule, delete_rule]
