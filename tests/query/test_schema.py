"""The served OpenAPI schema, fuzzed with schemathesis: no input makes the service fail (5xx)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from litestar.testing import AsyncTestClient
from schemathesis.schemas import BaseSchema

from services.contracts.metrics import Device, Metric
from services.contracts.settings import Settings
from services.query.app import create_app
from tests.query.conftest import bearer
from tests.query.seeding import Seeder, Vital


@pytest.fixture
async def project(seed: Seeder) -> int:
    """A project with a few days of every metric, so fuzzed queries reach the SQL."""
    project = await seed.project()
    page = await seed.page(project, "/products/1", "/products/:id")
    now = datetime.now(UTC)
    await seed.vitals([
        Vital(project, now - timedelta(hours=7 * i), metric, 100.0 + i, page, device=Device(i % 4), attr_target="img.hero")
        for i in range(60) for metric in Metric
    ])  # fmt: skip
    await seed.recount()
    return project


@pytest.fixture
def query_schema(query_settings: Settings, project: int) -> BaseSchema:
    return schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(query_settings))


# Every operation the schema serves; TestSchema checks nothing escapes this list.
OPERATIONS = [
    ("GET", "/v1/projects/{project_id}/summary"),
    ("GET", "/v1/projects/{project_id}/timeseries"),
    ("GET", "/v1/projects/{project_id}/breakdown"),
    ("GET", "/v1/projects/{project_id}/histogram"),
    ("GET", "/v1/projects/{project_id}/attribution"),
    ("GET", "/v1/projects/{project_id}/releases"),
    ("GET", "/v1/projects/{project_id}/releases/{release}/comparison"),
    ("GET", "/v1/projects/{project_id}/deploys"),
    ("GET", "/v1/projects/{project_id}/releases/comparison"),
    ("GET", "/v1/projects/{project_id}/alerts"),
    ("GET", "/v1/projects/{project_id}/alerts/history"),
    ("GET", "/v1/projects/{project_id}/alerts/deliveries"),
    ("POST", "/v1/projects/{project_id}/releases/{release}/check"),
    ("POST", "/v1/projects/{project_id}/releases/check"),
    ("POST", "/v1/records:queryRecord"),
    ("POST", "/v1/auth/token"),
]


@pytest.mark.parametrize(
    ("method", "path"), OPERATIONS, ids=[p.rsplit("/", 1)[-1] for _, p in OPERATIONS]
)
def test_no_input_causes_a_server_error(
    query_schema: BaseSchema, project: int, query_settings: Settings, method: str, path: str
) -> None:
    """Whatever parameters and bodies the schema allows, with a valid token for the path's project, nothing answers 5xx."""
    operation = query_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        if case.path_parameters and "project_id" in case.path_parameters:
            case.path_parameters["project_id"] = project
        response = case.call(headers=bearer(query_settings, [project]))
        assert response.status_code < 500, (
            case.operation.label,
            case.as_curl_command(),
            response.status_code,
            response.text,
        )

    check()


class TestSchema:
    async def test_every_view_is_documented_with_its_response(
        self, client: AsyncTestClient
    ) -> None:
        """Each endpoint appears in the schema with a named response model and the percentile definition is stated."""
        document = (await client.get("/schema/openapi.json")).json()
        views = ["summary", "timeseries", "breakdown", "histogram", "attribution"]
        for view in views:
            operation = document["paths"][f"/v1/projects/{{project_id}}/{view}"]["get"]
            assert operation["responses"]["200"]["content"]["application/json"]["schema"][
                "$ref"
            ].startswith("#/components/schemas/")
        assert "/v1/records:queryRecord" in document["paths"]
        assert "/v1/auth/token" in document["paths"]
        assert "inverted_cdf" in document["info"]["description"]

    async def test_the_fuzzed_list_covers_every_operation(self, client: AsyncTestClient) -> None:
        """No operation of the served schema escapes the schemathesis test."""
        document = (await client.get("/schema/openapi.json")).json()
        served = {
            (method.upper(), path) for path, item in document["paths"].items() for method in item
        }
        assert served == set(OPERATIONS)

    async def test_every_error_is_documented_in_the_shape_the_api_answers(
        self, client: AsyncTestClient, project: int, query_settings: Settings
    ) -> None:
        """Each operation documents its 4xx and 500 answers as ErrorBody (the CrUX route as Google's GoogleErrorBody), and real 400, 401, 403 and 404 answers have exactly that shape."""
        document = (await client.get("/schema/openapi.json")).json()
        error_schema = document["components"]["schemas"]["ErrorBody"]
        assert error_schema["required"] == ["error"]
        for method, path in OPERATIONS:
            responses = document["paths"][path][method.lower()]["responses"]
            errors = {status for status in responses if int(status) >= 400}
            assert {"400", "401", "500"} <= errors, (path, errors)
            shape = "GoogleErrorBody" if path == "/v1/records:queryRecord" else "ErrorBody"
            for status in errors:
                schema = responses[status]["content"]["application/json"]["schema"]
                assert schema["$ref"] == f"#/components/schemas/{shape}", (path, status)

        token = bearer(query_settings, [project])
        real = [
            await client.get(f"/v1/projects/{project}/summary", params={"range": "soon"}, headers=token),
            await client.get(f"/v1/projects/{project}/summary"),
            await client.get(f"/v1/projects/{project + 1}/summary", headers=token),
            await client.get("/v1/projects/99999999999/summary", headers=token),
        ]  # fmt: skip
        assert [r.status_code for r in real] == [400, 401, 403, 404]
        for response in real:
            body = response.json()
            assert set(body) <= set(error_schema["properties"]), body
            assert isinstance(body["error"], str) and body["error"]
