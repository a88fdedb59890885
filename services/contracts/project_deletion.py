"""Deleting a project: what happens at once (one transaction, from the admin API or
`vitals project delete`), and the job that purges its data afterwards.

At once: the project is marked deleted (logins, owners' tokens and lists no longer show
it), its ingest keys and deploy tokens are revoked (the caller then withdraws the keys
from the Redis registry, so ingest refuses them within its key cache's TTL), its grants
are removed, and the token generation of every member and every owner moves on, so no
user token that granted the project reads it any longer (a revoked token stops working
within VITALS_TOKEN_CHECK_TTL_S). The data itself goes in the background: the workers'
`project_deleted` job (services/workers/purge.py) deletes raw rows, rollups, releases,
deploys and alerts in small batches, then the project row.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
import redis
from rq import Queue
from rq.serializers import JSONSerializer

from services.contracts.database import Connection
from services.contracts.queue import QUEUE_NAME

PROJECT_DELETED = "services.workers.purge.project_deleted"
# A purge of a large project deletes millions of rows in batches of seconds each.
PURGE_TIMEOUT_S = 6 * 3600

MARK_DELETED = """
UPDATE projects SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL
RETURNING slug, deleted_at
"""
REVOKE_KEYS = """
UPDATE ingest_keys SET revoked_at = now() WHERE project_id = $1 AND revoked_at IS NULL
RETURNING key_hash
"""
REVOKE_DEPLOY_TOKENS = """
UPDATE deploy_tokens SET revoked_at = now() WHERE project_id = $1 AND revoked_at IS NULL
"""
END_GRANTS = """
WITH removed AS (DELETE FROM user_projects WHERE project_id = $1 RETURNING user_id)
UPDATE users SET token_generation = token_generation + 1
WHERE id IN (SELECT user_id FROM removed) OR is_owner
RETURNING id
"""


class Deletion(msgspec.Struct, frozen=True):
    project_id: int
    slug: str
    deleted_at: datetime
    key_hashes: list[str]  # to withdraw from the key registry once committed
    users: list[int]  # whose tokens were ended


async def mark_deleted(connection: Connection, project_id: int) -> Deletion | None:
    """Run inside the caller's transaction; None when the project is already deleted."""
    row = await connection.fetchrow(MARK_DELETED, project_id)
    if row is None:
        return None
    keys = [r["key_hash"] for r in await connection.fetch(REVOKE_KEYS, project_id)]
    await connection.execute(REVOKE_DEPLOY_TOKENS, project_id)
    users = [r["id"] for r in await connection.fetch(END_GRANTS, project_id)]
    return Deletion(project_id, row["slug"], row["deleted_at"], keys, users)


def enqueue_purge(client: redis.Redis, project_id: int, at: datetime | None = None) -> None:
    """Queue the purge (at `at`, through RQ's scheduler, which every worker runs)."""
    queue = Queue(QUEUE_NAME, connection=client, serializer=JSONSerializer)
    options = {"description": "project_deleted", "job_timeout": PURGE_TIMEOUT_S}
    if at is None:
        queue.enqueue(PROJECT_DELETED, project_id, **options)
    else:
        queue.enqueue_at(at, PROJECT_DELETED, project_id, **options)
