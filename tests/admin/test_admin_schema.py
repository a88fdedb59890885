"""The admin API's OpenAPI schema documents the projects, keys, members and users
endpoints: their bodies and their error answers, for the dashboard and other clients."""

from __future__ import annotations

from litestar.testing import AsyncTestClient


class TestSchema:
    async def test_every_admin_endpoint_is_documented(
        self,
        admin: AsyncTestClient,  # type: ignore[type-arg]
    ) -> None:
        schema = (await admin.get("/schema/openapi.json")).json()
        paths = schema["paths"]
        expected = {
            "/v1/admin/me": {"get"},
            "/v1/admin/me/token": {"post"},
            "/v1/admin/projects": {"get", "post"},
            "/v1/admin/projects/{project_id}": {"get", "patch", "delete"},
            "/v1/admin/projects/{project_id}/keys": {"get", "post"},
            "/v1/admin/projects/{project_id}/keys/{key_id}": {"patch", "delete"},
            "/v1/admin/projects/{project_id}/members": {"get", "post"},
            "/v1/admin/projects/{project_id}/members/{user_id}": {"patch", "delete"},
            "/v1/admin/users": {"get", "post"},
            "/v1/admin/users/{user_id}": {"patch", "delete"},
            "/v1/admin/users/{user_id}/password-link": {"post"},
            "/v1/admin/password": {"post"},
        }
        for path, methods in expected.items():
            assert set(paths[path]) == methods, path
        create = paths["/v1/admin/projects"]["post"]
        body = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert body.endswith("/NewProject")
        assert {"400", "401", "403", "409"} <= set(create["responses"])
        assert {"404", "410", "429"} <= set(paths["/v1/admin/password"]["post"]["responses"])
        assert "requestBody" in paths["/v1/admin/projects/{project_id}"]["delete"]
