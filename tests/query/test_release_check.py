"""The CI gate (issue 13): POST /releases/{release}/check with a deploy token or a JWT, and
`vitals check` with a budgets.yaml, judge a release the same way: 0/passed when it meets
its p75 budgets and did not regress, 1/failed, 2/insufficient_data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from services.contracts.deploy_tokens import new_token, token_hint, token_sha256
from services.contracts.settings import Settings
from tests.query.conftest import bearer
from tests.query.seeding import Seeder
from tests.query.test_release_comparison import seed_two_releases
from tests.support.cli import vitals
from tests.support.processes import ServiceProcess, uvicorn_service

# Every cell of release "a" has an LCP p75 near 3,640 ms; "b" is 1.4× slower on
# /checkout, mobile only (≈ 5,100 ms there).
LOOSE = {"budgets": [{"metric": "LCP", "p75": 6000}]}


async def deploy_token(db: asyncpg.Connection, project: int) -> str:
    token = new_token()
    await db.execute(
        "INSERT INTO deploy_tokens (project_id, label, token_sha256, hint) VALUES ($1, 'CI', $2, $3)",
        project, token_sha256(token), token_hint(token),
    )  # fmt: skip
    return token


async def check(
    client: AsyncTestClient, project: int, release: str, body: Any, headers: dict[str, str],
    status: int = 200, **params: str,
) -> Any:  # fmt: skip
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = await client.post(
        f"/v1/projects/{project}/releases/{release}/check", content=content, params=params,
        headers={**headers, "Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status_code == status, response.text
    return response.json()


class TestTheEndpoint:
    async def test_a_regression_fails_a_release_within_its_budgets(
        self, client: AsyncTestClient, seed: Seeder
    ) -> None:
        """The regression is named (metric, route, device) and fails the gate; with
        fail_on_regression off the same budgets pass."""
        project = await seed_two_releases(seed)
        headers = {"Authorization": f"Bearer {await deploy_token(seed.db, project)}"}
        result = await check(client, project, "b", LOOSE, headers)
        assert result["status"] == "failed" and result["baseline"] == "a"
        assert result["budgets"][0]["status"] == "passed"
        named = {(r["metric"], r["route"], r["device"]) for r in result["regressions"]}
        assert ("LCP", "/checkout", "mobile") in named
        # What contains the slow cell may regress with it (overall, mobile, /checkout);
        # nothing that excludes it does.
        assert all(route != "/home" and device != "desktop" for _, route, device in named)
        lenient = await check(client, project, "b", {**LOOSE, "fail_on_regression": False}, headers)
        assert lenient["status"] == "passed" and lenient["regressions"] == []

    async def test_budgets_per_route_and_device_and_too_few_samples(
        self, client: AsyncTestClient, seed: Seeder, settings: Settings
    ) -> None:
        """A ceiling the slow cell exceeds fails it alone; a metric without samples is
        insufficient_data; a first release (no baseline) is judged on its own data; a JWT
        of the project works as well as a deploy token."""
        project = await seed_two_releases(seed)
        headers = bearer(settings, [project])
        budgets = {"fail_on_regression": False, "budgets": [
            {"metric": "LCP", "p75": 4500, "route": "/checkout", "device": "mobile"},
            {"metric": "LCP", "p75": 4500, "route": "/home", "device": "mobile"},
            {"metric": "LCP", "p75": 4500, "device": "desktop"},
        ]}  # fmt: skip
        result = await check(client, project, "b", budgets, headers)
        assert [r["status"] for r in result["budgets"]] == ["failed", "passed", "passed"]
        assert 4800 < result["budgets"][0]["p75"] < 5500 and result["budgets"][0]["samples"] == 300
        assert result["status"] == "failed"
        unmeasured = await check(client, project, "b", {"budgets": [{"metric": "INP", "p75": 200}],
                                                        "fail_on_regression": False}, headers)  # fmt: skip
        assert unmeasured["status"] == "insufficient_data"
        first = await check(client, project, "a", LOOSE, headers)
        assert first["status"] == "passed" and first["baseline"] is None

    @pytest.mark.parametrize(
        ("body", "status", "code"),
        [
            (b"nope", 400, "invalid_budgets"),
            (b'{"budgets": [{"metric": "FID", "p75": 100}]}', 400, "invalid_budgets"),
            (b'{"budgets": [{"metric": "LCP", "p75": -1}]}', 400, "invalid_budgets"),
            (b'{"budgets": [{"metric": "LCP", "p75": "2500"}]}', 400, "invalid_budgets"),
            (b'{"budgets": [{"metric": "LCP", "p75": 1, "device": "fridge"}]}', 400, "invalid_budgets"),
            (b'{"budgets": [{"metric": "LCP", "p75": 1, "route": "/\\u0000"}]}', 400, "invalid_budgets"),
            (b'{"budgets": [], "project_id": 2}', 400, "invalid_budgets"),
            (b'{"budgets": "\xff"}', 400, "invalid_budgets"),
            (json.dumps({"budgets": [{"metric": "LCP", "p75": 1}] * 201}).encode(), 400, "invalid_budgets"),
            (json.dumps({"budgets": [{"metric": "LCP", "p75": 1, "route": "/" + "x" * 70_000}]}).encode(),
             413, "request_entity_too_large"),
        ],
    )  # fmt: skip
    async def test_hostile_budgets_are_a_stable_4xx(
        self, client: AsyncTestClient, seed: Seeder, body: bytes, status: int, code: str
    ) -> None:
        project = await seed_two_releases(seed)
        headers = {"Authorization": f"Bearer {await deploy_token(seed.db, project)}"}
        assert (await check(client, project, "b", body, headers, status))["error"] == code

    async def test_a_deploy_token_opens_its_own_project_only(
        self, client: AsyncTestClient, seed: Seeder
    ) -> None:
        """Another project's token: 403; unknown or revoked: 401; a release nobody named: 404."""
        project = await seed_two_releases(seed)
        other = await seed.project("other")
        theirs = await deploy_token(seed.db, other)
        ours = await deploy_token(seed.db, project)
        auth = lambda token: {"Authorization": f"Bearer {token}"}  # noqa: E731
        assert (await check(client, project, "b", LOOSE, auth(theirs), 403))[
            "error"
        ] == "forbidden_project"
        assert (await check(client, project, "b", LOOSE, auth("vdt_" + "x" * 43), 401))[
            "error"
        ] == "invalid_token"
        assert (await check(client, project, "b", LOOSE, {}, 401))["error"] == "invalid_token"
        await seed.db.execute(
            "UPDATE deploy_tokens SET revoked_at = now() WHERE project_id = $1", project
        )
        await check(client, project, "b", LOOSE, auth(ours), 401)
        live = await deploy_token(seed.db, project)
        assert (await check(client, project, "zzz", LOOSE, auth(live), 404))[
            "error"
        ] == "release_not_found"
        await check(client, project, "b", LOOSE, auth(live), 200)

    async def test_a_deploy_token_reads_nothing_else(
        self, client: AsyncTestClient, seed: Seeder
    ) -> None:
        """Every other view, and the comparison itself, refuse it: it is not a JWT."""
        project = await seed_two_releases(seed)
        headers = {"Authorization": f"Bearer {await deploy_token(seed.db, project)}"}
        for path in ("summary", "releases", "releases/b/comparison", "deploys", "breakdown"):
            response = await client.get(f"/v1/projects/{project}/{path}", headers=headers,
                                        params={"metric": "LCP", "dimension": "route"})  # fmt: skip
            assert response.status_code == 401, (path, response.text)
            assert response.json()["error"] == "invalid_token"

    async def test_a_release_named_with_a_slash_is_compared_and_checked_by_query(
        self, client: AsyncTestClient, seed: Seeder, settings: Settings
    ) -> None:
        """`feature/b` cannot be a path segment (%2F is decoded before routing): the
        ?release= forms of the comparison and the check reach it."""
        project = await seed_two_releases(seed)
        renamed = ("vitals_route_hourly", "vitals_route_daily", "vitals_release_routes", "releases")
        for table in renamed:
            column = "name" if table == "releases" else "release"
            await seed.db.execute(f"UPDATE {table} SET {column} = 'feature/b' WHERE {column} = 'b'")
        headers = {"Authorization": f"Bearer {await deploy_token(seed.db, project)}"}
        slashed = await client.get(f"/v1/projects/{project}/releases/feature%2Fb/comparison",
                                   headers=bearer(settings, [project]))  # fmt: skip
        assert slashed.status_code == 404
        compared = await client.get(f"/v1/projects/{project}/releases/comparison",
                                    params={"release": "feature/b"},
                                    headers=bearer(settings, [project]))  # fmt: skip
        assert compared.status_code == 200, compared.text
        assert compared.json()["release"] == "feature/b"
        lcp = compared.json()["metrics"]["LCP"]["routes"][0]
        assert (lcp["route"], lcp["device"], lcp["comparison"]["verdict"]) == (
            "/checkout",
            "mobile",
            "regressed",
        )
        checked = await client.post(
            f"/v1/projects/{project}/releases/check", params={"release": "feature/b"},
            content=json.dumps(LOOSE).encode(), headers={**headers, "Content-Type": "application/json"},
        )  # fmt: skip
        assert checked.status_code == 200 and checked.json()["status"] == "failed", checked.text


@pytest.fixture
def query_process(query_settings: Settings) -> Iterator[ServiceProcess]:
    """The query service as a real process: `vitals check` is its client."""
    process = uvicorn_service("query", "services.query.app:create_app", query_settings)
    try:
        process.wait_healthy(60)
        yield process
    finally:
        process.stop()


class TestTheCommand:
    async def test_exit_codes_table_and_json(
        self,
        seed: Seeder,
        cli,
        tmp_path: Path,
        query_process: ServiceProcess,  # type: ignore[no-untyped-def]
    ) -> None:
        """0 passed, 1 failed (a regression named in the table), 2 a release with no page
        views yet; --json prints the endpoint's verdict."""
        project = await seed_two_releases(seed)
        budgets = tmp_path / "budgets.yaml"
        budgets.write_text("budgets:\n  - metric: LCP\n    p75: 6000\n")
        run = lambda *args: cli("check", "--project", "shop", "--budgets", str(budgets),  # noqa: E731
                                "--query-url", query_process.url, *args, check=False)  # fmt: skip
        passed = run("--release", "a")
        assert passed.returncode == 0, passed.stderr
        assert "PASSED" in passed.stdout
        failed = run("--release", "b")
        assert failed.returncode == 1
        assert "regressed: LCP mobile /checkout" in failed.stdout
        verdict = json.loads(run("--release", "b", "--json").stdout)
        assert verdict["status"] == "failed"
        assert {"metric": "LCP", "route": "/checkout", "device": "mobile"}.items() <= next(
            r for r in verdict["regressions"] if r["route"] and r["device"]
        ).items()
        waiting = run("--release", "not-deployed-yet")
        assert waiting.returncode == 2 and "not enough data yet" in waiting.stderr
        budgets.write_text("budgets:\n  - metric: LCP\n    p75: 1000\n")
        assert run("--release", "a").returncode == 1
        budgets.write_text("budgets: [{metric: FID, p75: 1}]\n")
        broken = run("--release", "a")
        assert broken.returncode == 1 and "metric" in broken.stderr
        assert project == 1

    async def test_a_ci_runner_needs_only_the_deploy_token(
        self, seed: Seeder, settings: Settings, tmp_path: Path, query_process: ServiceProcess
    ) -> None:
        """No database and no JWT secret in its settings: the project by id and
        VITALS_DEPLOY_TOKEN suffice; another project's token is refused (exit 1)."""
        project = await seed_two_releases(seed)
        budgets = tmp_path / "budgets.yaml"
        budgets.write_text("budgets: [{metric: LCP, p75: 6000}]\nfail_on_regression: false\n")
        runner = msgspec.structs.replace(
            settings, database_url="postgresql://nobody@127.0.0.1:1/none", jwt_secret=None
        )
        args = ("check", "--project", str(project), "--release", "b", "--budgets", str(budgets),
                "--query-url", query_process.url)  # fmt: skip
        token = await deploy_token(seed.db, project)
        passed = vitals(runner, *args, check=False, env={"VITALS_DEPLOY_TOKEN": token})
        assert passed.returncode == 0, passed.stderr
        other = await deploy_token(seed.db, await seed.project("other"))
        refused = vitals(runner, *args, check=False, env={"VITALS_DEPLOY_TOKEN": other})
        assert refused.returncode == 1 and "forbidden_project" in refused.stderr
