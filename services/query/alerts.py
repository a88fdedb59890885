"""The alerts views (issue 14): a project's rules with what is firing now, the history of
their transitions, and the notifications' delivery log. Rules and destinations are
written through the admin service; these only read.

Never cached: a rule fires or resolves every evaluation cycle (a minute) and a delivery
changes with every attempt, so each answer is read afresh (three indexed statements on
small tables) and says `Cache-Control: no-store` so no browser or proxy keeps it either.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Request, get
from litestar.datastructures import CacheControlHeader
from litestar.params import FromPath, QueryParameter

from services.contracts.database_errors import guarded
from services.query.errors import invalid_parameter
from services.query.openapi import VIEW_ERRORS
from services.query.reads import alerts as reads
from services.query.reads.alerts import AlertEvent, Cursor, Delivery, RuleStatus

NO_STORE = CacheControlHeader(no_store=True)
MAX_PAGE = 200
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# `<microseconds since the epoch>-<id>`: the last row of a page, opaque to clients. 17
# digits reach the year 5138, short of datetime's 9999.
_CURSOR = re.compile(r"(\d{1,17})-(\d{1,19})")
_BIGINTS = range(1, 2**63)

Limit = Annotated[int, QueryParameter(description="How many, newest first.", ge=1, le=MAX_PAGE)]
Before = Annotated[
    str | None,
    QueryParameter(
        required=False,
        description="The `next_before` of the previous page: the rows older than its last.",
    ),
]


class AlertsNow(msgspec.Struct, frozen=True):
    project_id: int
    firing: int  # how many enabled rules are firing now
    rules: list[RuleStatus]  # firing first (the latest to fire on top), disabled last


class AlertHistory(msgspec.Struct, frozen=True):
    project_id: int
    events: list[AlertEvent]
    next_before: str | None  # None: this is the last page


class DeliveryLog(msgspec.Struct, frozen=True):
    project_id: int
    deliveries: list[Delivery]
    next_before: str | None


def cursor_of(at: datetime, row_id: int) -> str:
    return f"{(at - EPOCH) // timedelta(microseconds=1)}-{row_id}"


T = TypeVar("T")


def paged(rows: list[T], limit: int, cursor: Callable[[T], str]) -> tuple[list[T], str | None]:
    """A page of `limit` rows, read as limit + 1, and the cursor of the next (None: last)."""
    page = rows[:limit]
    return page, cursor(page[-1]) if len(rows) > limit else None


def parse_cursor(text: str | None) -> Cursor | None:
    if text is None:
        return None
    found = _CURSOR.fullmatch(text)
    if found is None or int(found[2]) not in _BIGINTS:
        raise invalid_parameter("before", "pass the `next_before` of the previous page")
    return EPOCH + timedelta(microseconds=int(found[1])), int(found[2])


@get("/alerts", responses=VIEW_ERRORS, cache_control=NO_STORE,
     summary="The project's alert rules and their state now, firing first")  # fmt: skip
async def alerts_view(request: Request[Any, Any, Any], project_id: FromPath[int]) -> AlertsNow:
    listed = await guarded(lambda: reads.rules(request.app.state.db, project_id))
    firing = sum(1 for r in listed if r.status == "firing")
    return AlertsNow(project_id, firing, listed)


@get("/alerts/history", responses=VIEW_ERRORS, cache_control=NO_STORE,
     summary="The rules' transitions (firing, resolved), newest first")  # fmt: skip
async def alert_history_view(
    request: Request[Any, Any, Any], project_id: FromPath[int], limit: Limit = 50,
    before: Before = None,
) -> AlertHistory:  # fmt: skip
    after = parse_cursor(before)
    # One more than asked: whether another page follows, without counting.
    rows = await guarded(lambda: reads.events(request.app.state.db, project_id, limit + 1, after))
    page, following = paged(rows, limit, lambda last: cursor_of(last.at, last.id))
    return AlertHistory(project_id, page, following)


@get("/alerts/deliveries", responses=VIEW_ERRORS, cache_control=NO_STORE,
     summary="The notifications' delivery log (tests included), newest first")  # fmt: skip
async def alert_deliveries_view(
    request: Request[Any, Any, Any], project_id: FromPath[int], limit: Limit = 50,
    before: Before = None,
) -> DeliveryLog:  # fmt: skip
    after = parse_cursor(before)
    db = request.app.state.db
    rows = await guarded(lambda: reads.deliveries(db, project_id, limit + 1, after))
    page, following = paged(rows, limit, lambda last: cursor_of(last.created_at, last.id))
    return DeliveryLog(project_id, page, following)


ALERT_VIEWS = [alerts_view, alert_history_view, alert_deliveries_view]
