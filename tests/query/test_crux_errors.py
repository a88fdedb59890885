"""records:queryRecord fails the way Google's CrUX API fails, so CrUX clients read "no data"
on 404 and retry on 429 instead of throwing (issue 15, item 5)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
import redis.asyncio
from litestar.testing import AsyncTestClient

from services.contracts.errors import ApiError
from services.contracts.metrics import Metric
from services.contracts.settings import Settings
from services.query.app import create_app
from services.query.crux_quota import take_crux_query
from tests.query.conftest import bearer
from tests.query.seeding import Seeder, Vital

RECORD = "/v1/records:queryRecord"
JSON = {"content-type": "application/json"}
NOT_FOUND = "chrome ux report data not found"


def google_error(response: Any, code: int, status: str) -> dict[str, Any]:
    """The body's `error`, checked to be Google's shape with this code and status."""
    assert response.status_code == code, response.text
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert (error["code"], error["status"]) == (code, status)
    assert isinstance(error["message"], str) and error["message"]
    assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
    return error


async def seed_cafe(seed: Seeder) -> int:
    project = await seed.project()
    page = await seed.page(project, "/café", "/café")
    now = datetime.now(UTC) - timedelta(hours=1)
    await seed.vitals([Vital(project, now, Metric.LCP, 1800.0, page) for _ in range(3)])
    await seed.recount()
    return project


async def post(client: AsyncTestClient, settings: Settings, project: int, body: Any) -> Any:  # type: ignore[type-arg]
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post(
        RECORD, content=content, headers={**JSON, **bearer(settings, [project])}
    )


class TestNotFound:
    async def test_an_origin_without_data_is_cruxs_not_found(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """An origin the project has no data for answers CrUX's own 404 body, which crux-api reads as null."""
        project = await seed_cafe(seed)
        response = await post(client, query_settings, project, {"origin": "https://other.example"})
        error = google_error(response, 404, "NOT_FOUND")
        assert error["message"] == NOT_FOUND
        assert error["details"][0]["reason"] == "NOT_FOUND"

    async def test_a_url_without_data_and_a_form_factor_without_data_are_not_found(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """A known origin's page without data, and a form factor without data, are the same 404."""
        project = await seed_cafe(seed)
        for body in (
            {"url": "https://shop.example/nothing-here"},
            {"origin": "https://shop.example", "formFactor": "TABLET"},
        ):
            response = await post(client, query_settings, project, body)
            assert google_error(response, 404, "NOT_FOUND")["message"] == NOT_FOUND

    async def test_an_encoded_url_finds_the_page_stored_decoded(
        self, client: AsyncTestClient, seed: Seeder, query_settings: Settings
    ) -> None:
        """A URL percent-encoded as browsers send it finds the page stored as /café, and the key names it decoded."""
        project = await seed_cafe(seed)
        response = await post(
            client, query_settings, project, {"url": "https://shop.example/caf%C3%A9"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["record"]["key"]["url"] == "https://shop.example/café"


HOSTILE_BODIES: dict[str, bytes | dict[str, Any] | list[Any]] = {
    "both origin and url": {"origin": "https://a.example", "url": "https://a.example/"},
    "neither origin nor url": {"formFactor": "PHONE"},
    "not http(s)": {"origin": "javascript:alert(1)"},
    "file scheme": {"url": "file:///etc/passwd"},
    "no host": {"url": "https:///x"},
    "unclosed IPv6": {"origin": "https://[::1"},
    "port out of range": {"origin": "https://a.example:99999"},
    "space in the host": {"origin": "https://a b.example"},
    "NUL in the host": {"origin": "https://a\u0000.example"},
    "an unknown form factor": {"origin": "https://a.example", "formFactor": "MOBILE"},
    "origin of the wrong type": {"origin": 42},
    "metrics of the wrong type": {"origin": "https://a.example", "metrics": "lcp"},
    "unknown metrics": {"origin": "https://a.example", "metrics": ["x" * 10_000] * 50},
    "a megabyte origin": {"origin": "https://a.example/" + "é" * 500_000},
    "a JSON array": [],
    "truncated JSON": b'{"origin": "https://a.example"',
    "not JSON": b"origin=https://a.example",
    "deep nesting": b"[" * 5_000,
    "invalid UTF-8": b'{"origin": "https://a.example/\xff\xfe"}',
    "an escaped lone surrogate": b'{"origin": "https://a.example/\\ud800"}',
}


class TestBadRequest:
    @pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
    async def test_hostile_bodies_are_invalid_argument(
        self,
        client: AsyncTestClient,
        query_settings: Settings,
        body: Any,  # type: ignore[type-arg]
    ) -> None:
        """Every malformed or hostile body is 400 INVALID_ARGUMENT in Google's shape, with a short message."""
        response = await post(client, query_settings, 1, body)
        error = google_error(response, 400, "INVALID_ARGUMENT")
        assert len(error["message"]) < 1_000

    @pytest.mark.parametrize("project_id", ["abc", "1.5", "9" * 400])
    async def test_a_project_id_that_is_no_integer_is_invalid_argument(
        self,
        client: AsyncTestClient,
        query_settings: Settings,
        project_id: str,  # type: ignore[type-arg]
    ) -> None:
        """A project_id Litestar cannot read as an integer is 400 INVALID_ARGUMENT naming it, or 404 when it is no project."""
        response = await client.post(
            f"{RECORD}?project_id={project_id}",
            content=b'{"origin": "https://a.example"}',
            headers={**JSON, **bearer(query_settings, [1])},
        )
        if response.status_code == 404:  # digits: read, and no project has that id
            assert google_error(response, 404, "NOT_FOUND")
        else:
            assert "project_id" in google_error(response, 400, "INVALID_ARGUMENT")["message"]


class TestAuthentication:
    async def test_no_token_is_unauthenticated_with_its_challenge(
        self, client: AsyncTestClient
    ) -> None:
        """Without a token: 401 UNAUTHENTICATED, our code as the reason, and the Bearer challenge header."""
        response = await client.post(RECORD, content=b'{"origin": "https://a.example"}')
        error = google_error(response, 401, "UNAUTHENTICATED")
        assert error["details"][0]["reason"] == "INVALID_TOKEN"
        assert response.headers["www-authenticate"].startswith("Bearer")

    async def test_a_project_not_granted_is_permission_denied(
        self, client: AsyncTestClient, query_settings: Settings
    ) -> None:
        """Naming a project the token does not grant is 403 PERMISSION_DENIED."""
        response = await client.post(
            f"{RECORD}?project_id=2",
            content=b'{"origin": "https://a.example"}',
            headers={**JSON, **bearer(query_settings, [1])},
        )
        google_error(response, 403, "PERMISSION_DENIED")


class TestRateLimit:
    async def test_over_the_quota_is_resource_exhausted_with_retry_after(
        self, seed: Seeder, query_settings: Settings, cache: redis.asyncio.Redis
    ) -> None:
        """Past the project's queries per minute the answer is 429 RESOURCE_EXHAUSTED with Retry-After and RetryInfo; another project is not held back."""
        project = await seed_cafe(seed)
        other = await seed.project("other")
        settings = msgspec.structs.replace(query_settings, crux_queries_per_minute=2)
        body = {"origin": "https://shop.example"}
        async with AsyncTestClient(create_app(settings)) as client:
            answers = [await post(client, settings, project, body) for _ in range(3)]
            assert [a.status_code for a in answers[:2]] == [200, 200]
            error = google_error(answers[2], 429, "RESOURCE_EXHAUSTED")
            retry_after = answers[2].headers["retry-after"]
            assert retry_after.isdigit() and 1 <= int(retry_after) <= 60
            assert {"@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": f"{retry_after}s"} in error["details"]  # fmt: skip
            elsewhere = await post(client, settings, other, body)
            assert google_error(elsewhere, 404, "NOT_FOUND")["message"] == NOT_FOUND

    async def test_a_quota_that_cannot_be_counted_lets_the_query_through(self) -> None:
        """With the cache Redis unreachable the query goes ahead: the count is a guard, not a gate."""
        unreachable = redis.asyncio.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.1)
        try:
            await take_crux_query(unreachable, project_id=1, per_minute=1)
        finally:
            await unreachable.aclose()

    async def test_the_quota_counts_per_project_and_clock_minute(
        self, cache: redis.asyncio.Redis
    ) -> None:
        """The n+1st query of a project within one minute raises 429; a limit of 0 never does."""
        await take_crux_query(cache, project_id=7, per_minute=1)
        with pytest.raises(ApiError) as raised:
            await take_crux_query(cache, project_id=7, per_minute=1)
        assert raised.value.status == 429 and "Retry-After" in raised.value.headers
        await take_crux_query(cache, project_id=8, per_minute=1)
        for _ in range(3):
            await take_crux_query(cache, project_id=9, per_minute=0)


class TestOtherEndpoints:
    async def test_the_other_views_keep_the_projects_error_shape(
        self, client: AsyncTestClient, query_settings: Settings
    ) -> None:
        """A bad parameter on a project view is still {"error": code, "detail": …}."""
        response = await client.get(
            "/v1/projects/1/summary?range=forever", headers=bearer(query_settings, [1])
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_parameter"
