"""Issue 16 item 4: the same beacons give the same answers on both TimescaleDB editions.

One deterministic set of beacons (tests/support/same_answers/beacons.py) goes through the
workers' batch processing into a stack on each edition; every view of the query service
is then read through the real query app on both and compared field by field, right after
the data arrived (real-time) and again after the edition's refresh.

The Apache side is the suite's own database. The Timescale side is PGlite (TimescaleDB
2.23, Timescale license; every run, CI included) and, where a developer built it, the
native Timescale-edition cluster (`VITALS_EDITION=timescale scripts/provision.sh`).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import asyncpg
import pytest
import redis.asyncio

from services.contracts.settings import Settings
from tests.support.migrations import migrate
from tests.support.pglite import PGliteServer
from tests.support.same_answers import beacons
from tests.support.same_answers.diff import Answer, Difference, differences, report
from tests.support.same_answers.stacks import Stack, stack_settings
from tests.support.same_answers.views import View, catalogue

NATIVE_TIMESCALE_PORT = int(os.environ.get("VITALS_LOCAL_TIMESCALE_PG_PORT") or 55433)
CONNECT_TIMEOUT_S = 3
# PGlite (0.3.14) denies the reader role pg_catalog.pg_range although its ACL grants
# PUBLIC SELECT, as on every PostgreSQL (has_table_privilege says false; GRANT fails with
# "tuple concurrently deleted"), so asyncpg's type introspection fails in the query app.
# pg_read_all_data reads pg_range there; it adds nothing the reader needs on a real server.
PGLITE_CATALOG_WORKAROUND = "GRANT pg_read_all_data TO vitals_reader"


@pytest.fixture
def apache_stack(settings: Settings, database_edition: str) -> Stack:
    if database_edition != "apache":
        pytest.skip(
            "compares the Apache edition with the Timescale one; the suite runs on the latter"
        )
    return Stack(
        "apache",
        stack_settings(settings.database_url, settings.redis_url, settings.jwt_secret or ""),
    )


@pytest.fixture
async def pglite_stack(
    pglite: PGliteServer, timescale_migrated: list[str], settings: Settings
) -> Stack:
    connection = await pglite.connect()
    try:
        await connection.execute(PGLITE_CATALOG_WORKAROUND)
    finally:
        await connection.close()
    url = f"postgresql://postgres:pglite@127.0.0.1:{pglite.port}/postgres?sslmode=disable"
    return Stack(
        "timescale-pglite", stack_settings(url, settings.redis_url, settings.jwt_secret or "")
    )


@pytest.fixture
async def native_timescale_stack(settings: Settings) -> Stack:
    """A database of this run's name on the native Timescale-edition cluster, when there is one."""
    name = settings.database_url.partition("?")[0].rsplit("/", 1)[1]
    server = f"postgresql://postgres@127.0.0.1:{NATIVE_TIMESCALE_PORT}"
    if f":{NATIVE_TIMESCALE_PORT}/" in settings.database_url:
        pytest.skip("the suite's own database is on the native Timescale-edition cluster")
    try:
        admin = await asyncpg.connect(f"{server}/postgres", timeout=CONNECT_TIMEOUT_S)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        pytest.skip(
            f"no native Timescale-edition cluster on 127.0.0.1:{NATIVE_TIMESCALE_PORT} ({exc!r}); "
            "`VITALS_EDITION=timescale scripts/provision.sh` builds one"
        )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    connection = await asyncpg.connect(f"{server}/{name}")
    try:
        await migrate(connection)
        license_name = await connection.fetchval("SHOW timescaledb.license")
    finally:
        await connection.close()
    if license_name != "timescale":
        pytest.skip(f"the cluster on port {NATIVE_TIMESCALE_PORT} runs the {license_name} edition")
    return Stack(
        "timescale-native",
        stack_settings(f"{server}/{name}", settings.redis_url, settings.jwt_secret or ""),
    )


@pytest.fixture(
    params=[pytest.param("pglite_stack", marks=pytest.mark.pglite), "native_timescale_stack"]
)
def timescale_stack(request: pytest.FixtureRequest) -> Stack:
    stack: Stack = request.getfixturevalue(request.param)
    return stack


class TestSameAnswers:
    async def test_every_view_is_identical_on_both_editions(
        self,
        apache_stack: Stack,
        timescale_stack: Stack,
        redis_client: redis.asyncio.Redis,
    ) -> None:
        """Every view answers the same on both editions, right after the beacons arrive and after a refresh."""
        now = beacons.utc_minute(datetime.now(UTC))
        traffic = beacons.build(now)
        views = catalogue(now)
        stacks = (apache_stack, timescale_stack)
        started = time.monotonic()
        for stack in stacks:
            await stack.reset()
            await stack.play(traffic)
            stack.timings["write"] = time.monotonic() - started
            started = time.monotonic()
        assert apache_stack.outcomes == timescale_stack.outcomes, "the workers' accounting"
        assert apache_stack.outcomes["replaced"] > 0 and apache_stack.outcomes["duplicate"] > 0

        found = await compare(stacks, views, "right after arrival")
        for stack in stacks:
            await stack.refresh()
        found += await compare(stacks, views, "after refresh")

        print(
            f"\n{len(views)} views compared twice ({2 * len(views)} comparisons), "
            f"{traffic.page_views} page views, {traffic.beacons} beacons, {traffic.reports} "
            f"reports; workers: {dict(apache_stack.outcomes)}; refreshed on "
            f"{timescale_stack.name}: {timescale_stack.refreshes or 'nothing (no continuous aggregates)'}; "
            f"seconds: { ({s.name: {k: round(v, 1) for k, v in s.timings.items()} for s in stacks}) }"
        )
        assert not found, report(found, apache_stack.name, timescale_stack.name)


async def compare(stacks: tuple[Stack, Stack], views: list[View], phase: str) -> list[Difference]:
    """Both stacks' answers to every view, read within one UTC day (CrUX's window is the
    28 days up to today: read on either side of midnight, the two would rightly differ)."""
    for _ in range(2):
        day = datetime.now(UTC).date()
        left, right = [await read(stack, views) for stack in stacks]
        if datetime.now(UTC).date() == day:
            break
    assert_not_empty(left, views)
    found = []
    for view, a, b in zip(views, left, right, strict=True):
        found += [
            Difference(d.view, f"[{phase}] {d.path}", d.left, d.right)
            for d in differences(view, a, b)
        ]
    return found


async def read(stack: Stack, views: list[View]) -> list[Answer]:
    token = stack.token()
    started = time.monotonic()
    async with stack.reader() as client:
        answers = [await view.fetch(client, token) for view in views]
    stack.timings["read"] += time.monotonic() - started
    return answers


def assert_not_empty(answers: list[Answer], views: list[View]) -> None:
    """Two empty stacks would agree on everything: the views must have seen the data, the
    route change included."""
    statuses = {status for status, _ in answers}
    assert statuses <= {200, 404}, [
        (v.describe(), a) for v, a in zip(views, answers, strict=True) if a[0] not in (200, 404)
    ][:3]
    bodies = [(view, body) for view, (_, body) in zip(views, answers, strict=True)]
    summary = next(body for view, body in bodies if view.name == "summary")
    assert all(m["current"]["count"] > 0 for m in summary["metrics"].values()), summary
    routes = {
        group["value"]
        for view, body in bodies
        if view.name == "breakdown" and ("dimension", "route") in view.params
        for group in body["groups"]
    }
    # Page views stored before the change keep the route they had; later ones get the new.
    assert {"/blog/:slug", "/blog/cls-fonts", "/app/:section", "/app/settings"} <= routes, routes


class TestFieldByFieldDiff:
    VIEW = View("summary", "/v1/projects/1/summary", (("from", "2026-01-01"),))

    def test_equal_answers_have_no_difference(self) -> None:
        """The same status and JSON, keys in another order, give no difference."""
        body = {"a": [1, {"b": None}], "c": 0.5}
        assert differences(self.VIEW, (200, body), (200, {"c": 0.5, "a": [1, {"b": None}]})) == []

    def test_each_differing_leaf_is_named_by_its_path(self) -> None:
        """A changed value, a missing key and a longer list are each reported at their JSON path."""
        left = {"metrics": {"LCP": {"p75": 2500.0, "count": 3}}, "groups": [1, 2]}
        right = {"metrics": {"LCP": {"p75": 2500.1}}, "groups": [1, 2, 3]}
        found = {
            (d.path, d.left, d.right) for d in differences(self.VIEW, (200, left), (200, right))
        }
        assert found == {
            ("$.metrics.LCP.p75", 2500.0, 2500.1),
            ("$.metrics.LCP.count", 3, "<missing>"),
            ("$.groups.length", 2, 3),
        }

    def test_an_integer_and_a_float_differ(self) -> None:
        """1 and 1.0 are equal in Python but not the same JSON answer."""
        assert differences(self.VIEW, (200, {"n": 1}), (200, {"n": 1.0}))

    def test_a_different_status_is_one_difference_with_both_bodies(self) -> None:
        """A 500 on one side is reported once, with both answers, not as every missing field."""
        found = differences(self.VIEW, (200, {"n": 1}), (500, {"error": "internal_error"}))
        assert [(d.path, d.left, d.right) for d in found] == [
            ("<status>", (200, {"n": 1}), (500, {"error": "internal_error"}))
        ]
        assert "summary /v1/projects/1/summary?from=2026-01-01" in report(found, "a", "b")
