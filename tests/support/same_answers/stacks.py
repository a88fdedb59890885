"""One edition's stack for the comparison: the workers' batch processing writes, the real
query app reads, both on one database and at most one connection at a time (PGlite serves
one; the native clusters get the same treatment so both sides run the same way).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import asyncpg
import msgspec
from litestar.testing import AsyncTestClient

from services.contracts.database import Connection, create_pool
from services.contracts.settings import Settings
from services.contracts.tokens import mint_token
from services.query.app import create_app
from services.query.plan import FAMILIES
from services.workers.batches import process_batch
from services.workers.projects import ProjectDirectory
from services.workers.runtime import session_timeouts
from tests.support.same_answers.beacons import Deliver, Refresh, SetRouteRules, Traffic
from tests.support.same_answers.page_views import PROJECT_IDS

# Sources before the rollups built on them: hourly first (the daily ones aggregate them
# where they are hierarchical continuous aggregates).
ROLLUPS = [f.hourly for f in FAMILIES] + [f.daily for f in FAMILIES]
PLAIN_ROLLUPS = (
    "SELECT relname FROM pg_class WHERE relname = ANY($1::text[]) AND relkind IN ('r', 'p')"
)
CONTINUOUS_AGGREGATES = """
SELECT view_name FROM timescaledb_information.continuous_aggregates
WHERE view_schema = current_schema()
"""
# The jobs the Timescale edition's scheduler runs every few minutes to materialise its
# continuous aggregates, hourly ones first.
REFRESH_POLICIES = """
SELECT j.job_id, ca.view_name
FROM timescaledb_information.jobs j
JOIN timescaledb_information.continuous_aggregates ca
  -- The materialisation hypertable on TimescaleDB 2.19; the view itself on 2.23.
  ON j.hypertable_name IN (ca.materialization_hypertable_name, ca.view_name)
WHERE j.proc_name = 'policy_refresh_continuous_aggregate'
ORDER BY ca.view_name LIKE '%\\_daily', ca.view_name
"""
USER_EMAIL = "same-answers@example.com"


@dataclass
class Stack:
    """`settings.database_url` is the schema owner's, as the workers use it; the query app
    logs in as its own role (settings.query_url)."""

    name: str
    settings: Settings
    user: tuple[int, int] = (0, 0)  # the dashboard user's (id, token generation)
    outcomes: Counter[str] = field(default_factory=Counter)
    refreshes: list[str] = field(default_factory=list)  # continuous aggregates refreshed
    timings: Counter[str] = field(default_factory=Counter)  # seconds spent writing, reading

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        connection = await asyncpg.connect(
            self.settings.database_url, server_settings={"timezone": "UTC"}
        )
        try:
            yield connection
        finally:
            await connection.close()

    async def reset(self) -> None:
        """Empty tables and rollups; the projects and the user, created in a fixed order."""
        async with self.connection() as db:
            # The release comparison's rollup (0016) is a plain table on both editions.
            plain = [*ROLLUPS, "vitals_release_routes"]
            tables = [r["relname"] for r in await db.fetch(PLAIN_ROLLUPS, plain)]
            await db.execute(
                "TRUNCATE projects, ingest_keys, users, user_projects, pages, vitals"
                f"{''.join(', ' + t for t in sorted(tables))} RESTART IDENTITY CASCADE"
            )
            # A TRUNCATE of the raw hypertable invalidates every continuous aggregate:
            # refreshing empties what earlier runs materialised.
            for view in await _continuous_aggregates(db):
                await db.execute(f"CALL refresh_continuous_aggregate('{view}', NULL, NULL)")
            for slug, expected in PROJECT_IDS.items():
                project_id = await db.fetchval(
                    "INSERT INTO projects (slug, name) VALUES ($1, $1) RETURNING id", slug
                )
                assert project_id == expected, f"{self.name}: project {slug} got id {project_id}"
            row = await db.fetchrow(
                "INSERT INTO users (email, password_hash) VALUES ($1, 'unused')"
                " RETURNING id, token_generation",
                USER_EMAIL,
            )
            self.user = (row["id"], row["token_generation"])
            await db.executemany(
                "INSERT INTO user_projects (user_id, project_id) VALUES ($1, $2)",
                [(row["id"], p) for p in PROJECT_IDS.values()],
            )
        self.outcomes.clear()
        self.refreshes.clear()

    async def play(self, traffic: Traffic) -> None:
        """Every step of the script through the workers' own code, on a one-connection pool
        closed afterwards (so the query app can have PGlite's one connection)."""
        pool = await create_pool(
            self.settings, "workers", min_size=1, max_size=1,
            session_settings=session_timeouts(self.settings),
        )  # fmt: skip
        try:
            # TTL 0: a route rule takes effect at the next job (a worker's cache: 30 s).
            projects = ProjectDirectory(ttl_s=0)
            for step in traffic.steps:
                if isinstance(step, Deliver):
                    for job in step.jobs:
                        outcome = await process_batch(pool, projects, job)
                        assert not outcome.parked, f"{self.name}: parked {outcome.parked}"
                        self.outcomes.update(
                            {k: v for k, v in outcome.summary().items() if isinstance(v, int)}
                        )
                elif isinstance(step, SetRouteRules):
                    rules = msgspec.json.encode(step.rules).decode()
                    async with pool.acquire() as connection:
                        await connection.execute(
                            "UPDATE projects SET route_rules = $2::jsonb WHERE id = $1",
                            step.project_id, rules,
                        )  # fmt: skip
                elif isinstance(step, Refresh):
                    async with pool.acquire() as connection:
                        await self._run_refresh_policies(connection)
        finally:
            await pool.close()

    async def refresh(self) -> None:
        """What "refresh" means on this edition: its scheduled refresh policies run once
        more (nothing where the rollups are tables the workers keep exact)."""
        async with self.connection() as db:
            await self._run_refresh_policies(db)

    async def _run_refresh_policies(self, connection: Connection) -> None:
        for row in await connection.fetch(REFRESH_POLICIES):
            await connection.execute(f"CALL run_job({int(row['job_id'])})")
            self.refreshes.append(row["view_name"])

    def token(self) -> str:
        return mint_token(
            self.settings, subject=USER_EMAIL, projects=list(PROJECT_IDS.values()),
            lifetime_s=900, user=self.user,
        )  # fmt: skip

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
        """The real query app with its lifespan (pool of one, cache Redis) running."""
        async with AsyncTestClient(create_app(self.settings)) as client:
            yield client


async def _continuous_aggregates(db: asyncpg.Connection) -> list[str]:
    names = {r["view_name"] for r in await db.fetch(CONTINUOUS_AGGREGATES)}
    return [name for name in ROLLUPS if name in names]


def stack_settings(database_url: str, redis_url: str, jwt_secret: str) -> Settings:
    """One connection at a time for the workers' pool and the query app's."""
    return Settings(
        database_url=database_url, redis_url=redis_url, jwt_secret=jwt_secret,
        db_pool_min=1, db_pool_max=1,
    )  # fmt: skip
