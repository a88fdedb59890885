"""Which projects exist and how their routes are named, cached per process with a short TTL.

Every batch needs both, and they change only when an operator edits a project: a
30-second cache keeps the lookup off the hot path while a rule change (or a deleted
project) still takes effect within half a minute.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import msgspec
import structlog

from services.contracts.database import Connection
from services.workers.routes import CompiledRule, RouteRule, compile_rules

TTL_S = 30.0

# A project being deleted (projects.deleted_at, migration 0019) is unknown here: its
# beacons still queued are dropped, not stored behind its purge (services/workers/purge.py).
SELECT_PROJECTS = """
SELECT id, route_rules::text AS route_rules, keep_trailing_slash
FROM projects WHERE id = ANY($1::int[]) AND deleted_at IS NULL
"""

log = structlog.get_logger()
_decode_rules = msgspec.json.Decoder(list[RouteRule]).decode


class ProjectRow(msgspec.Struct, frozen=True):
    id: int
    route_rules: str  # jsonb as text
    keep_trailing_slash: bool = False


class Project(msgspec.Struct, frozen=True):
    id: int
    rules: list[CompiledRule]
    keep_trailing_slash: bool = False  # `/about/` and `/about` are two routes


async def select_projects(connection: Connection, ids: list[int]) -> list[ProjectRow]:
    rows = await connection.fetch(SELECT_PROJECTS, ids)
    return [ProjectRow(row["id"], row["route_rules"], row["keep_trailing_slash"]) for row in rows]


def project_of(row: ProjectRow) -> Project:
    try:
        rules, errors = compile_rules(_decode_rules(row.route_rules))
    except msgspec.ValidationError as exc:
        rules, errors = [], [str(exc)]
    for error in errors:
        # An operator's typo must not stop the project's data: skip the rule, say so.
        log.warning("route_rule_ignored", project_id=row.id, error=error)
    return Project(row.id, rules, row.keep_trailing_slash)


class ProjectDirectory:
    """Known projects by id; an unknown id is remembered as such for the same TTL."""

    def __init__(self, ttl_s: float = TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._entries: dict[int, tuple[float, Project | None]] = {}

    async def lookup(self, connection: Connection, ids: Iterable[int]) -> dict[int, Project | None]:
        now = self.clock()
        wanted = set(ids)
        stale = sorted(i for i in wanted if (e := self._entries.get(i)) is None or e[0] <= now)
        if stale:
            found = {row.id: project_of(row) for row in await select_projects(connection, stale)}
            for project_id in stale:
                self._entries[project_id] = (now + self.ttl_s, found.get(project_id))
        return {i: self._entries[i][1] for i in wanted}
