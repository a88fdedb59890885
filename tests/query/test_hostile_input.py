"""Hostile requests to the query service: unreadable bodies, ids no project can have, a
real fault's 500 with its request id, the ops endpoints."""

from __future__ import annotations

import json

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from services.contracts.settings import Settings
from services.query.app import create_app
from tests.query.conftest import bearer
from tests.support.ops import OPS_HEADERS

VIEWS = [
    "summary", "timeseries?metric=LCP", "breakdown?by=device", "histogram?metric=LCP",
    "attribution?metric=LCP",
]  # fmt: skip
OUT_OF_RANGE = [0, -1, 2**31, 2**40, 2**63, 2**64]
INVALID_UTF8 = {"raw_ff_fe": b"\xff\xfe", "lone_surrogate_bytes": b"\xed\xa0\x80"}
JSON = {"content-type": "application/json"}


class TestUnreadableBodies:
    @pytest.mark.parametrize("raw", INVALID_UTF8.values(), ids=INVALID_UTF8.keys())
    async def test_invalid_utf8_at_login_is_400(self, client: AsyncTestClient, raw: bytes) -> None:  # type: ignore[type-arg]
        """Invalid UTF-8 inside the login body's strings is 400 invalid_parameter."""
        body = b'{"email":"' + raw + b'@example.com","password":"x"}'
        response = await client.post("/v1/auth/token", content=body, headers=JSON)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_parameter"
        assert "UTF-8" in response.json()["detail"]

    @pytest.mark.parametrize("raw", INVALID_UTF8.values(), ids=INVALID_UTF8.keys())
    async def test_invalid_utf8_in_a_crux_query_is_400(
        self,
        client: AsyncTestClient,
        query_settings: Settings,
        raw: bytes,  # type: ignore[type-arg]
    ) -> None:
        """Invalid UTF-8 inside a records:queryRecord body is 400 INVALID_ARGUMENT (Google's shape, as CrUX answers)."""
        body = b'{"origin":"https://shop.example/' + raw + b'"}'
        headers = {**JSON, **bearer(query_settings, [1])}
        response = await client.post("/v1/records:queryRecord", content=body, headers=headers)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
        assert "UTF-8" in response.json()["error"]["message"]

    @pytest.mark.parametrize(
        "body", [b"[" * 5_000, b'{"email":NaN,"password":"x"}', b'{"email":"\\ud800"}', b"{"]
    )
    async def test_malformed_json_has_a_stable_code(
        self, client: AsyncTestClient, body: bytes
    ) -> None:  # type: ignore[type-arg]
        """Deep nesting, NaN, an escaped lone surrogate and truncated JSON are all 400 invalid_parameter."""
        response = await client.post("/v1/auth/token", content=body, headers=JSON)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_parameter"


class TestOutOfRangeProjects:
    @pytest.mark.parametrize("view", VIEWS)
    @pytest.mark.parametrize("project_id", OUT_OF_RANGE)
    async def test_a_signed_token_for_an_impossible_project_gets_404(
        self,
        client: AsyncTestClient,
        query_settings: Settings,
        view: str,
        project_id: int,  # type: ignore[type-arg]
    ) -> None:
        """A validly signed token naming a project id outside PostgreSQL's integer gets 404 on every view."""
        headers = bearer(query_settings, [project_id])
        response = await client.get(f"/v1/projects/{project_id}/{view}", headers=headers)
        assert response.status_code == 404, response.text
        assert response.json()["error"] == "not_found"

    async def test_a_huge_path_id_gets_404(
        self,
        client: AsyncTestClient,
        query_settings: Settings,  # type: ignore[type-arg]
    ) -> None:
        """A 400-digit project id in the path is 404, not a database error."""
        headers = bearer(query_settings, [1])
        response = await client.get(f"/v1/projects/{'9' * 400}/summary", headers=headers)
        assert response.status_code == 404, response.text

    @pytest.mark.parametrize("project_id", [2**31, 2**40])
    async def test_crux_for_an_impossible_project_gets_404(
        self,
        client: AsyncTestClient,
        query_settings: Settings,
        project_id: int,  # type: ignore[type-arg]
    ) -> None:
        """records:queryRecord for an impossible project, named or the token's only one, is 404."""
        headers = {**JSON, **bearer(query_settings, [project_id])}
        body = json.dumps({"origin": "https://shop.example"})
        for url in ("/v1/records:queryRecord", f"/v1/records:queryRecord?project_id={project_id}"):
            response = await client.post(url, content=body, headers=headers)
            assert response.status_code == 404, response.text
            assert response.json()["error"]["status"] == "NOT_FOUND"


class TestUnexpectedErrors:
    async def test_a_real_fault_is_500_with_a_request_id_and_a_logged_traceback(
        self,
        query_settings: Settings,
        db: asyncpg.Connection,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """With a table the query reads gone, the answer is 500 carrying X-Request-Id, and the log has the traceback under that id."""
        settings = msgspec.structs.replace(query_settings, log_format="json")
        await db.execute("ALTER TABLE pages RENAME TO pages_gone")
        try:
            async with AsyncTestClient(create_app(settings)) as client:
                response = await client.post(
                    "/v1/records:queryRecord",
                    content=json.dumps({"origin": "https://shop.example"}),
                    headers={**JSON, **bearer(settings, [1])},
                )
        finally:
            await db.execute("ALTER TABLE pages_gone RENAME TO pages")
        assert response.status_code == 500
        request_id = response.headers["x-request-id"]
        # The CrUX route's shape is Google's; the request id rides in a RequestInfo.
        assert response.json() == {
            "error": {
                "code": 500,
                "message": "unexpected server error",
                "status": "INTERNAL",
                "details": [
                    {"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                     "reason": "INTERNAL_ERROR", "domain": "vitals"},
                    {"@type": "type.googleapis.com/google.rpc.RequestInfo",
                     "requestId": request_id},
                ],
            }
        }  # fmt: skip
        lines = [
            json.loads(line)
            for line in capsys.readouterr().err.splitlines()
            if line.startswith("{")
        ]
        logged = [line for line in lines if line.get("event") == "unhandled_error"]
        assert len(logged) == 1
        assert logged[0]["request_id"] == request_id
        assert "UndefinedTableError" in logged[0]["exception"]

    async def test_every_response_carries_a_request_id(self, client: AsyncTestClient) -> None:  # type: ignore[type-arg]
        """A 401, a probe and an unknown route all answer with their own X-Request-Id."""
        responses = [
            await client.get("/v1/projects/1/summary"),
            await client.get("/health"),
            await client.get("/no/such/route"),
        ]
        ids = {response.headers.get("x-request-id") for response in responses}
        assert None not in ids and len(ids) == 3


class TestOpsEndpoints:
    async def test_metrics_need_the_ops_token(self, client: AsyncTestClient) -> None:  # type: ignore[type-arg]
        """The query service's /metrics answers 401 without the ops token and 200 with it."""
        assert (await client.get("/metrics")).status_code == 401
        assert (await client.get("/metrics", headers=OPS_HEADERS)).status_code == 200
