"""From the standby, the query service answers what it answers from the primary, caches
what can still change only briefly, and never needs a writable database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
from argon2 import PasswordHasher

from services.cli import catalog
from services.contracts.settings import Settings
from services.query.cache import OPEN_TTL_S, VERSIONED_TTL_S
from services.query.filters import PUBLIC_DIMENSIONS
from tests.e2e.replica.conftest import DATABASE, PAGE_VIEWS, PRIMARY_CACHE_DB, REPLICA_CACHE_DB
from tests.e2e.replica.views import Views, cache_ttls, client_of, query_sessions, ready
from tests.e2e.stack import Stack
from tests.e2e.traffic import Traffic
from tests.support.ops import OPS_HEADERS
from tests.support.processes import ServiceProcess
from tests.support.standby import StandbyServer


class TestAnswersFromTheReplica:
    async def test_the_replica_answers_what_the_primary_answers(
        self,
        written: tuple[Stack, Traffic, int],
        standby: StandbyServer,
        primary_settings: Settings,
        on_replica: ServiceProcess,
        on_primary: ServiceProcess,
    ) -> None:
        """Once the standby has replayed the workers' commits, every view from the query service on the standby equals the one from a query service on the primary, and the standby serves the replica's sessions."""
        _, _, project_id = written
        await standby.wait_replayed()
        views = Views(primary_settings, project_id)

        from_replica = await views.answers(on_replica)
        from_primary = await views.answers(on_primary)

        assert from_replica["summary"]["metrics"]["LCP"]["current"]["count"] >= PAGE_VIEWS / 2
        assert from_replica == from_primary
        assert await query_sessions(standby.url(DATABASE)) >= 1
        assert ready(on_replica).json() == {
            "status": "ready",
            "checked": ["database", "cache_redis", "replica_lag"],
        }

    async def test_answers_that_can_still_change_are_cached_briefly_on_a_replica(
        self,
        written: tuple[Stack, Traffic, int],
        standby: StandbyServer,
        primary_settings: Settings,
        on_replica: ServiceProcess,
        on_primary: ServiceProcess,
    ) -> None:
        """A window that ended an hour ago can still get late reports: on the primary its answer is cached for VERSIONED_TTL_S (a worker's version bump invalidates it), on the replica only OPEN_TTL_S, since a bump may come before the replica replays the commit."""
        _, _, project_id = written
        await standby.wait_replayed()
        now = datetime.now(UTC)
        views = Views(primary_settings, project_id, end=now - timedelta(hours=1))
        for service in (on_replica, on_primary):
            async with client_of(service) as client:
                _, path, params, _ = views.requests()["summary"]
                cached = {"Authorization": views.headers["Authorization"]}
                assert (await client.get(path, params=params, headers=cached)).status_code == 200

        assert 0 < max(cache_ttls(primary_settings, REPLICA_CACHE_DB)) <= OPEN_TTL_S
        assert OPEN_TTL_S < max(cache_ttls(primary_settings, PRIMARY_CACHE_DB)) <= VERSIONED_TTL_S

    async def test_nothing_the_service_does_needs_a_writable_database(
        self,
        written: tuple[Stack, Traffic, int],
        standby: StandbyServer,
        primary_settings: Settings,
        on_replica: ServiceProcess,
    ) -> None:
        """On the standby, login, every view (each breakdown dimension too), cached and fresh, /ready and /metrics answer 200: nothing the query service does writes."""
        _, _, project_id = written
        db = await asyncpg.connect(primary_settings.database_url)
        try:
            password = "a long enough password"
            await catalog.upsert_user(db, "ann@example.com", PasswordHasher().hash(password),
                                      [project_id])  # fmt: skip
        finally:
            await db.close()
        await standby.wait_replayed()
        views = Views(primary_settings, project_id)
        async with client_of(on_replica) as client:
            login = await client.post(
                "/v1/auth/token", json={"email": "ann@example.com", "password": password}
            )
            assert login.status_code == 200, login.text
            token = {"Authorization": f"Bearer {login.json()['token']}"}
            for method, path, params, body in views.requests().values():
                for headers in (token, {**token, "Cache-Control": "no-cache"}, token):
                    response = await client.request(
                        method, path, params=params, json=body, headers=headers
                    )
                    assert response.status_code == 200, f"{path}: {response.text}"
            for dimension in PUBLIC_DIMENSIONS:
                response = await client.get(
                    f"/v1/projects/{project_id}/breakdown",
                    params={"metric": "INP", "dimension": dimension, **views.window},
                    headers=token,
                )
                assert response.status_code == 200, f"{dimension}: {response.text}"
            metrics = await client.get("/metrics", headers=OPS_HEADERS)
            assert metrics.status_code == 200
            assert "vitals_query_replica_lag_seconds 0.0" in metrics.text
        assert ready(on_replica).status_code == 200
        assert "read-only transaction" not in on_replica.log_path.read_text()
