"""`POST /v1/projects/{project_id}/alerts/destinations/{destination_id}/test`: a project's
admin asks for a test notification to one destination (the dashboard's "send test
notification" button). It is an alert event of its own (transition 'test', no rule) and one
delivery in the outbox, made in one statement; the workers send it like any notification
(signed, retried, in the delivery log), within the 10 s of their delivery schedule."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import asyncpg
import msgspec
from litestar import Request, Response, post
from litestar.params import FromPath

from services.admin.destinations import DESTINATION_IDS
from services.admin.destinations import PATH as DESTINATIONS
from services.admin.user_auth import require_admin
from services.contracts.database_errors import guarded
from services.contracts.errors import ApiError
from services.contracts.settings import Settings
from services.contracts.webhooks import AlertDetails

PATH = DESTINATIONS + "/{destination_id:int}/test"
# Nothing is made unless the destination is the project's.
INSERT_TEST = """
WITH destination AS (
    SELECT id, project_id FROM alert_destinations WHERE project_id = $1 AND id = $2
), event AS (
    INSERT INTO alert_events (project_id, transition, details)
    SELECT project_id, 'test', $3::jsonb FROM destination
    RETURNING id, project_id
)
INSERT INTO alert_deliveries (event_id, destination_id, project_id)
SELECT event.id, $2, event.project_id FROM event
RETURNING id, idempotency_key
"""


class TestNotification(msgspec.Struct, frozen=True):
    delivery_id: int
    idempotency_key: UUID  # the Idempotency-Key header the receiver will see
    status: str = "pending"


@post(PATH, guards=[require_admin], status_code=202,
      summary="Send a test notification to a destination (the project's admins)")  # fmt: skip
async def send_test_notification(
    request: Request[Any, Any, Any], project_id: FromPath[int], destination_id: FromPath[int]
) -> Response[TestNotification]:
    missing = ApiError(
        404, "alert_destination_not_found", f"this project has no destination {destination_id}"
    )
    if destination_id not in DESTINATION_IDS:
        raise missing
    settings: Settings = request.app.state.settings
    query = urlencode({"project": project_id, "view": "alerts"})
    link = f"{settings.dashboard_url.rstrip('/')}/?{query}"
    details = msgspec.json.encode(AlertDetails(link=link)).decode()
    try:
        row = await guarded(lambda: request.app.state.db.fetchrow(
            INSERT_TEST, project_id, destination_id, details
        ))  # fmt: skip
    except asyncpg.ForeignKeyViolationError:  # the destination was deleted meanwhile
        raise missing from None
    if row is None:
        raise missing
    return Response(TestNotification(row["id"], row["idempotency_key"]), status_code=202)


TEST_NOTIFICATION_HANDLERS = [send_test_notification]
