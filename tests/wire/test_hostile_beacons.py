"""Property: whatever a browser can send, ingest refuses it with 400 or the real worker job
stores it; no beacon answered 202 fails a job or is parked.

Beacons are drawn from the wire schema (services/contracts/wire.py) with hostile values:
extreme floats (subnormals, 1e-300, 1e308, -0.0, NaN, huge integers), unicode (NUL, lone
surrogates as JSON escapes, astral characters, right-to-left overrides), lengths at and
one past each limit, and URLs with broken hosts and ports. Each goes through the real
ingest app into the test Redis, then through the real job function into the test database.
The workers' only drop reason, unknown_project, cannot arise here: the project exists.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import redis.asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rq import Queue
from rq.serializers import JSONSerializer

from services.contracts.queue import QUEUE_NAME
from services.contracts.redis_client import sync_redis
from services.contracts.settings import Settings
from services.contracts.wire import MAX_REPORTS, MAX_ROUTE, MAX_SELECTOR, MAX_SHORT, MAX_URL
from services.ingest.body import MAX_BODY_BYTES
from services.workers import counters, jobs, runtime
from tests.ingest.conftest import ingest_client, post_beacon, publish_key
from tests.workers.conftest import assert_rollups_exact
from tests.workers.factories import create_project

# Storable, but exotic: astral, right-to-left override, BOM, a noncharacter, a combining mark.
EXOTIC = ["\U0001f600", "\u202e", "\ufeff", "\uffff", "\u0301", "é"]
# What PostgreSQL text cannot hold (NUL) and what UTF-8 cannot encode (lone surrogates,
# which json.dumps writes as \\ud800 escapes).
POISON = ["\x00", "\ud800", "\udfff", "a\udbff"]
TINY_AND_ZERO = [0.0, -0.0, 5e-324, 2.2250738585072014e-308, 1e-300, 1e-30, 1e-7]
OUT_OF_RANGE = [-1.0, -5e-324, float("nan"), float("inf"), -float("inf"), 1e308, 2**70, -(2**70)]
BAD_URLS = [
    "https:///x", "https://:80/", "https://shop.example:65536/", "https://shop.example:x/",
    "https://[::1/x", "https://[::zz]/", "https://shop example.com/", "javascript:x", "/relative",
    "https://shop.example/" + "a" * MAX_URL, "https://shop.example/" + "é" * 1020,
]  # fmt: skip
HOSTS = ["shop.example", "Shop.Example:8443", "[2001:db8::1]:80", "bücher.example", "a:65535"]
METRIC_MAX = {"LCP": 3_600_000.0, "INP": 600_000.0, "CLS": 100.0, "FCP": 3_600_000.0,
              "TTFB": 3_600_000.0}  # fmt: skip

_unique = itertools.count(1)
# Replaced by a path segment of its own per example: a page's route is fixed when its first
# report is stored, and the rollup check recounts by the page's route of now.
PAGE = "/page-n/"

safe_characters = st.one_of(st.characters(exclude_characters="\x00"), st.sampled_from(EXOTIC))


def text(limit: int, min_size: int = 0) -> st.SearchStrategy[str]:
    """Valid text: short, or exactly at the limit."""
    return st.one_of(
        st.text(safe_characters, min_size=max(min_size, 1), max_size=12),
        st.text(safe_characters, min_size=limit, max_size=limit),
    )


def within(limit: float) -> st.SearchStrategy[float]:
    """A valid value in [0, limit], tiny and boundary values included."""
    return st.one_of(
        st.sampled_from([*TINY_AND_ZERO, limit]),
        st.floats(0, limit),
        st.integers(0, int(limit)).map(float),
    )


@st.composite
def reports(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(list(METRIC_MAX)))
    value = draw(within(METRIC_MAX[name]))
    report: dict[str, Any] = {
        "name": name, "value": value, "delta": draw(st.sampled_from([value, -value, 0.0])),
        "id": draw(text(MAX_SHORT, min_size=1)),
    }  # fmt: skip
    if draw(st.booleans()):
        report["navigationType"] = draw(st.sampled_from(["reload", "soft-navigation"]))
    if draw(st.booleans()):
        report["attribution"] = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "target": text(MAX_SELECTOR),
                    "url": text(MAX_URL),
                    "interactionTarget": text(MAX_SELECTOR),
                    "largestShiftTarget": text(MAX_SELECTOR),
                    "largestShiftValue": within(100),
                    "timeToFirstByte": within(3_600_000),
                    "inputDelay": within(3_600_000),
                    "longestScriptUrl": text(MAX_URL),
                    "dnsDuration": within(3_600_000),
                    "loadState": st.sampled_from(["loading", "complete"]),
                },
            )
        )
    return report


@st.composite
def valid_beacons(draw: st.DrawFn) -> dict[str, Any]:
    path = draw(st.one_of(text(12), st.text(st.characters(codec="ascii"), max_size=1990)))
    body: dict[str, Any] = {
        "v": 1,
        "sdk": {"name": draw(text(MAX_SHORT)), "version": draw(text(MAX_SHORT))},
        "url": f"https://{draw(st.sampled_from(HOSTS))}{PAGE}{path}",
        "timeOrigin": None,  # a time inside the accepted window, unique per example
        "reports": draw(
            st.lists(reports(), min_size=1, max_size=5)
            | st.lists(reports(), min_size=MAX_REPORTS, max_size=MAX_REPORTS)
        ),
    }
    optional = {
        "referrer": text(MAX_URL), "navigationId": text(MAX_SHORT),
        "route": text(MAX_ROUTE, min_size=1), "sampleRate": st.sampled_from([1e-300, 0.5, 1.0]),
        "viewport": st.fixed_dictionaries({"width": st.integers(0, 100_000),
                                           "height": st.integers(0, 100_000)}),
        "connection": st.fixed_dictionaries({"rtt": st.integers(0, 60_000)}),
    }  # fmt: skip
    for name in draw(st.lists(st.sampled_from(sorted(optional)), unique=True)):
        body[name] = draw(optional[name])
    return body


def _texts(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every string value in a body, key names excluded."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _texts(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _texts(v, (*path, i))]
    return (
        [path]
        if isinstance(value, str) and path[-1] not in ("name", "loadState", "navigationType")
        else []
    )


def _set(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


@st.composite
def beacons(draw: st.DrawFn) -> dict[str, Any]:
    """A valid beacon with extreme values, or one with a single hostile change."""
    body = draw(valid_beacons())
    change = draw(st.sampled_from(["none", "none", "text", "number", "url", "time", "length"]))
    index = draw(st.integers(0, len(body["reports"]) - 1))
    if change == "text":
        path = draw(st.sampled_from(_texts(body)))
        _set(body, path, draw(st.sampled_from(POISON)).join(["x", "y"]))
    elif change == "number":
        field = draw(st.sampled_from(["value", "delta"]))
        body["reports"][index][field] = draw(
            st.sampled_from([*OUT_OF_RANGE, METRIC_MAX[body["reports"][index]["name"]] * 1.0001])
        )
    elif change == "url":
        body["url"] = draw(st.sampled_from(BAD_URLS))
    elif change == "time":
        body["timeOrigin"] = draw(st.sampled_from([*TINY_AND_ZERO, *OUT_OF_RANGE, 1e12]))
    elif change == "length":
        body["reports"][index]["id"] = draw(st.sampled_from(["", "i" * (MAX_SHORT + 1)]))
    return body


@pytest.fixture
async def rig(
    settings: Settings, db: asyncpg.Connection, redis_client: redis.asyncio.Redis
) -> AsyncIterator[tuple[Any, str]]:
    """The ingest app, one project's key, and the worker runtime on the test database."""
    project = await create_project(db)
    key = await publish_key(redis_client, project_id=project)
    runtime.install(settings)
    try:
        async with ingest_client(settings) as client:
            yield client, key
    finally:
        await asyncio.to_thread(runtime.current().close)


def run_queued_jobs(settings: Settings) -> list[dict[str, object]]:
    """Each queued job through the real job function, as the worker would; then none is left."""
    queue = Queue(QUEUE_NAME, connection=sync_redis(settings), serializer=JSONSerializer)
    summaries = [jobs.beacons_received(job.args[0]) for job in queue.jobs]
    queue.empty()
    return summaries


def expected_rows(body: dict[str, Any]) -> dict[str, float]:
    """metric id → the value its row holds: the largest of one arrival's reports of that id."""
    latest: dict[str, float] = {}
    for r in body["reports"]:
        latest[r["id"]] = max(latest.get(r["id"], r["value"]), r["value"])
    return latest


class TestHostileBeacons:
    # Alone, or after the ingest and query suites, this takes ~6 s. Inside the whole suite
    # it ran past the default 300 s twice on 2026-12-06 (then failed on the example it was
    # interrupted in); the cause is not found yet (issue 16's closing note). A longer
    # limit keeps its 150 examples while that is looked into.
    @pytest.mark.timeout(900)
    @settings(
        max_examples=150,
        deadline=None,
        derandomize=True,  # the same examples on every run: CI stays stable
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=beacons())
    async def test_refused_or_stored_never_a_failed_job(
        self, rig: tuple[Any, str], settings: Settings, db: asyncpg.Connection, body: dict[str, Any]
    ) -> None:
        """A generated beacon is refused with 400 {error, detail} (413 past the body limit), or its job runs without raising, parks nothing and stores every metric id with its exact value."""
        client, key = rig
        n = next(_unique)
        body["url"] = body["url"].replace(PAGE, f"/page-{n}/", 1)
        if body["timeOrigin"] is None:
            body["timeOrigin"] = time.time() * 1000 - 60_000 - n * 7
        raw = json.dumps(body, ensure_ascii=True, allow_nan=True).encode()
        parked_before = sum(
            s.value
            for s in counters.REPORTS.collect()[0].samples
            if s.labels["outcome"] == "parked"
        )
        response = await post_beacon(client, key, raw)
        if len(raw) > MAX_BODY_BYTES:  # reports at their longest can pass 64 KiB together
            assert response.status_code == 413, response.text
            assert response.json()["error"] == "payload_too_large"
            return
        if response.status_code == 400:
            assert set(response.json()) == {"error", "detail"}
            assert response.json()["detail"]
            return
        assert response.status_code == 202, response.text
        (summary,) = await asyncio.to_thread(run_queued_jobs, settings)
        assert summary["parked"] == {} and summary["dropped"] == {}, summary
        parked_after = sum(
            s.value
            for s in counters.REPORTS.collect()[0].samples
            if s.labels["outcome"] == "parked"
        )
        assert parked_after == parked_before
        stored = await db.fetch(
            # Within a millisecond: examples' time origins are 7 ms apart, and the float
            # division here may round the microsecond the other way than Python's.
            "SELECT metric_id, value FROM vitals"
            " WHERE time BETWEEN to_timestamp(($1::float8 - 1) / 1000) AND to_timestamp(($1 + 1) / 1000)",
            body["timeOrigin"],
        )
        assert {r["metric_id"]: r["value"] for r in stored} == expected_rows(body)
        await assert_rollups_exact(db)
