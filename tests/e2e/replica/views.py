"""The query service on a read replica: its processes and the views a test compares.

Each query service gets a cache Redis db of its own, and every view is asked with
`Cache-Control: no-cache`, so an answer always comes from that service's own database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import msgspec
import redis

from services.cli import demo
from services.contracts.settings import QUERY_ROLE, Settings
from services.contracts.tokens import mint_token
from services.query.cache import KEY_PREFIX
from tests.support.ops import OPS_HEADERS
from tests.support.processes import ServiceProcess, uvicorn_service
from tests.support.standby import StandbyServer

QUERY_FACTORY = "services.query.app:create_app"
QUERY_APPLICATION = "vitals.query"  # application_name of the query service's connections
FRESH = {"Cache-Control": "no-cache"}


def query_service(
    name: str, settings: Settings, *, cache_db: int, reads: str | None = None
) -> ServiceProcess:
    """A query service reading `reads` (a DSN; unset: the primary, as settings say)."""
    redis_server = settings.redis_url.rsplit("/", 1)[0]
    own = msgspec.structs.replace(
        settings, cache_redis_url=f"{redis_server}/{cache_db}", query_database_url=reads
    )
    service = uvicorn_service(name, QUERY_FACTORY, own)
    service.wait_healthy()
    return service


def replica_dsn(standby: StandbyServer, database: str) -> str:
    """The query role on the standby (trusted there, like on the private primary)."""
    return f"postgresql://{QUERY_ROLE}@127.0.0.1:{standby.port}/{database}"


class Views:
    """The views a dashboard asks for, over one fixed window, for one project."""

    def __init__(self, settings: Settings, project_id: int, end: datetime | None = None) -> None:
        """The window is the day before `end` (by default, an hour from now)."""
        end = end or datetime.now(UTC) + timedelta(hours=1)
        self.project_id = project_id
        self.window = {"from": (end - timedelta(days=1)).isoformat(), "to": end.isoformat()}
        token = mint_token(settings, subject="replica@example.com", projects=[project_id],
                           lifetime_s=600)  # fmt: skip
        self.headers = {"Authorization": f"Bearer {token}", **FRESH}

    def requests(self) -> dict[str, tuple[str, str, dict[str, Any], Any]]:
        """name → (method, path, query parameters, JSON body)."""
        base = f"/v1/projects/{self.project_id}"
        lcp = {"metric": "LCP", **self.window}
        origin = {"origin": f"https://{demo.HOSTS[0]}"}
        return {
            "summary": ("GET", f"{base}/summary", self.window, None),
            "timeseries": ("GET", f"{base}/timeseries", lcp, None),
            "breakdown_route": ("GET", f"{base}/breakdown", {**lcp, "dimension": "route"}, None),
            "breakdown_device": ("GET", f"{base}/breakdown", {**lcp, "dimension": "device"}, None),
            "histogram": ("GET", f"{base}/histogram", lcp, None),
            "attribution": ("GET", f"{base}/attribution", lcp, None),
            "crux_record": ("POST", "/v1/records:queryRecord",
                            {"project_id": self.project_id}, origin),
        }  # fmt: skip

    async def answers(self, service: ServiceProcess) -> dict[str, Any]:
        """Every view's JSON from `service`; each must answer 200."""
        out: dict[str, Any] = {}
        async with client_of(service) as client:
            for name, (method, path, params, body) in self.requests().items():
                response = await client.request(
                    method, path, params=params, json=body, headers=self.headers
                )
                assert response.status_code == 200, f"{service.name} {name}: {response.text}"
                out[name] = response.json()
        return out

    async def summary_count(self, service: ServiceProcess, metric: str = "LCP") -> int:
        async with client_of(service) as client:
            _, path, params, _ = self.requests()["summary"]
            response = await client.get(path, params=params, headers=self.headers)
        assert response.status_code == 200, response.text
        count: int = response.json()["metrics"][metric]["current"]["count"]
        return count


def client_of(service: ServiceProcess) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=service.url, timeout=30)


def cache_ttls(settings: Settings, cache_db: int) -> list[int]:
    """The seconds left to every cached answer in a query service's cache db."""
    client = redis.Redis.from_url(settings.redis_url.rsplit("/", 1)[0] + f"/{cache_db}")
    try:
        return [client.ttl(key) for key in client.scan_iter(f"{KEY_PREFIX}:*")]
    finally:
        client.close()


def ready(service: ServiceProcess, *, ops: bool = True) -> httpx.Response:
    return httpx.get(service.url + "/ready", headers=OPS_HEADERS if ops else {}, timeout=10)


async def query_sessions(url: str) -> int:
    """The query service's sessions on the server at `url`."""
    connection = await asyncpg.connect(url)
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", QUERY_APPLICATION
        )
    finally:
        await connection.close()
    return count
