"""The notification sender (services/workers/alerts/delivery.py): the outbox's deliveries
reach a real HTTP receiver on 127.0.0.1 at least once, signed, with their idempotency key;
what may pass is retried with backoff, what will not is failed at once, and two senders,
or a sender killed mid-send, never lose or multiply a notification."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import asyncpg
import msgspec
import pytest
from rq.utils import import_attribute

from services.contracts.database import create_pool
from services.contracts.settings import Settings
from services.contracts.webhooks import sign, verify_signature
from services.workers import runtime
from services.workers.alerts.delivery import DELIVER_LOCK, deliver_due, deliver_pending
from services.workers.alerts.schedule import DELIVER_JOB
from tests.support.processes import ROOT, free_port, settings_env
from tests.support.webhook_receiver import Answer, Receiver

SECRET = "vwh_" + "k" * 43
LINK = "https://vitals.example/?project=1&view=trends&metric=LCP&route=%2Fcheckout"
DETAILS: dict[str, Any] = {
    "rule_name": "LCP on checkout", "kind": "threshold", "metric": "LCP", "statistic": "p75",
    "comparison": "above", "value": 4530.4, "threshold": 4000.0, "window_minutes": 30,
    "samples": 1204, "filters": {"route": "/checkout", "device": "mobile"},
    "release": "v1.4.2", "link": LINK, "reading": {"p75": 4530.4, "good_share": 0.41},
    "project_id": 0, "project_slug": "shop",  # the evaluator writes these too; unused here
}  # fmt: skip
ROW = """
SELECT status, attempts, last_error, last_status_code, next_attempt_at, delivered_at, created_at,
       idempotency_key::text AS key, clock_timestamp() AS now
FROM alert_deliveries WHERE id = $1
"""


class Shop(msgspec.Struct, frozen=True):
    project_id: int
    rule_id: int


@pytest.fixture
async def shop(db: asyncpg.Connection) -> Shop:
    project_id = await db.fetchval(
        "INSERT INTO projects (slug, name) VALUES ('shop', 'Shop') RETURNING id"
    )
    rule_id = await db.fetchval(
        """INSERT INTO alert_rules (project_id, name, kind, metric, statistic, comparison,
                                    threshold, window_minutes, min_samples)
           VALUES ($1, 'LCP on checkout', 'threshold', 'LCP', 'p75', 'above', 4000, 30, 50)
           RETURNING id""",
        project_id,
    )
    return Shop(project_id, rule_id)


@pytest.fixture
def fast(settings: Settings) -> Settings:
    """The test's receiver is on 127.0.0.1; retries come within a second."""
    return msgspec.structs.replace(
        settings, alerts_allow_private_destinations=True, alerts_retry_base_s=0.2,
        alerts_retry_cap_s=1.0, alerts_send_timeout_s=2.0,
    )  # fmt: skip


@pytest.fixture
async def receiver() -> Any:
    server = await Receiver().start()
    try:
        yield server
    finally:
        await server.stop()


async def destination(db: asyncpg.Connection, shop: Shop, url: str, fmt: str = "generic") -> int:
    count = await db.fetchval("SELECT count(*) FROM alert_destinations")
    destination_id: int = await db.fetchval(
        """INSERT INTO alert_destinations (project_id, name, url, format, secret)
           VALUES ($1, $2, $3, $4, $5) RETURNING id""",
        shop.project_id, f"hook {count}", url, fmt, SECRET,
    )  # fmt: skip
    return destination_id


async def notify(
    db: asyncpg.Connection, shop: Shop, destinations: list[int], transition: str = "firing",
    details: dict[str, Any] | None = None,
) -> list[int]:  # fmt: skip
    """An event and its deliveries, as the evaluator writes them; the deliveries' ids."""
    event_id = await db.fetchval(
        """INSERT INTO alert_events (project_id, rule_id, transition, details)
           VALUES ($1, $2, $3, $4::jsonb) RETURNING id""",
        shop.project_id, shop.rule_id, transition,
        json.dumps(DETAILS | {"rule_id": shop.rule_id} | (details or {})),
    )  # fmt: skip
    ids = []
    for destination_id in destinations:
        ids.append(await db.fetchval(
            """INSERT INTO alert_deliveries (event_id, destination_id, project_id)
               VALUES ($1, $2, $3) RETURNING id""",
            event_id, destination_id, shop.project_id,
        ))  # fmt: skip
    return ids


async def row(db: asyncpg.Connection, delivery_id: int) -> asyncpg.Record:
    found = await db.fetchrow(ROW, delivery_id)
    assert found is not None
    return found


async def until_due(db: asyncpg.Connection, delivery_id: int) -> None:
    wait = (await db.fetchval(
        "SELECT extract(epoch FROM next_attempt_at - clock_timestamp()) FROM alert_deliveries"
        " WHERE id = $1", delivery_id,
    ))  # fmt: skip
    await asyncio.sleep(max(0.0, float(wait)) + 0.02)


class TestDelivered:
    async def test_a_notification_arrives_signed_with_its_idempotency_key(
        self, db: asyncpg.Connection, pool: asyncpg.Pool, fast: Settings, shop: Shop,
        receiver: Receiver,
    ) -> None:  # fmt: skip
        """The receiver gets one POST of the generic body with Idempotency-Key, a timestamp and
        a signature that verifies with the destination's secret; the row says delivered."""
        [delivery] = await notify(db, shop, [await destination(db, shop, receiver.url)])
        summary = await deliver_pending(pool, fast)
        assert (summary.delivered, summary.retrying, summary.failed) == (1, 0, 0)
        [got] = receiver.requests
        stored = await row(db, delivery)
        assert got.headers["Content-Type"] == "application/json"
        assert got.headers["User-Agent"].startswith("Vitals-Webhooks/")
        assert got.headers["X-Vitals-Event"] == "alert.firing"
        assert got.key == stored["key"]
        assert abs(int(got.headers["X-Vitals-Timestamp"]) - time.time()) < 5
        assert got.signed_by(SECRET)
        assert not verify_signature("vwh_" + "x" * 43, got.headers["X-Vitals-Timestamp"], got.body,
                                    got.headers["X-Vitals-Signature"])  # fmt: skip
        body = got.json()
        assert body == {
            "id": stored["key"], "type": "alert.firing",
            "project": {"id": shop.project_id, "slug": "shop"}, "at": body["at"],
            "rule": {"id": shop.rule_id, "name": "LCP on checkout", "kind": "threshold"},
            "summary": "Firing: LCP on checkout — p75 LCP is 4,530 ms (threshold: above 4,000 ms)"
                       " over the last 30 minutes, 1,204 samples, route /checkout, device mobile,"
                       " release v1.4.2",
            "metric": "LCP", "statistic": "p75", "comparison": "above", "value": 4530.4,
            "threshold": 4000.0, "window_minutes": 30, "samples": 1204,
            "filters": {"route": "/checkout", "device": "mobile", "country": None,
                        "browser": None},
            "release": "v1.4.2", "link": LINK, "reading": {"p75": 4530.4, "good_share": 0.41},
        }  # fmt: skip
        assert (stored["status"], stored["attempts"], stored["last_status_code"]) == (
            "delivered", 1, 200,
        )  # fmt: skip
        assert stored["delivered_at"] is not None and stored["last_error"] is None
        again = await deliver_pending(pool, fast)
        assert again.delivered == 0 and len(receiver.requests) == 1

    async def test_each_destination_gets_its_own_delivery_and_key(
        self, db: asyncpg.Connection, pool: asyncpg.Pool, fast: Settings, shop: Shop,
        receiver: Receiver,
    ) -> None:  # fmt: skip
        """A resolve notification to three destinations: three requests, three keys, each
        body naming its own key, all of type alert.resolved."""
        hooks = [await destination(db, shop, receiver.url + f"/{n}") for n in range(3)]
        await notify(db, shop, hooks, transition="resolved")
        assert (await deliver_pending(pool, fast)).delivered == 3
        assert sorted(r.path for r in receiver.requests) == ["/hook/0", "/hook/1", "/hook/2"]
        assert len({r.key for r in receiver.requests}) == 3
        for got in receiver.requests:
            assert got.json()["id"] == got.key and got.json()["type"] == "alert.resolved"


class TestSlackFormat:
    async def test_a_slack_message_names_the_numbers_and_links_the_view(
        self, db: asyncpg.Connection, pool: asyncpg.Pool, fast: Settings, shop: Shop,
        receiver: Receiver,
    ) -> None:  # fmt: skip
        """`text` (and a section block with it) names rule, metric, value against threshold,
        window, samples, filters, release and the link; Slack's <, >, & are escaped in
        what users typed; the request is signed like any other."""
        hook = await destination(db, shop, receiver.url, fmt="slack")
        await notify(db, shop, [hook], details={"rule_name": "LCP <p95> & co"})
        await deliver_pending(pool, fast)
        [got] = receiver.requests
        assert got.signed_by(SECRET)
        body = got.json()
        assert set(body) == {"text", "blocks"}
        text = body["text"]
        assert text.startswith(":red_circle: *Firing: LCP &lt;p95&gt; &amp; co* — ")
        for words in ("p75 LCP is 4,530 ms", "(threshold: above 4,000 ms)",
                      "over the last 30 minutes", "1,204 samples", "route /checkout",
                      "device mobile", "release v1.4.2", f"<{LINK}|Open in Vitals>"):  # fmt: skip
            assert words in text, words
        section, context = body["blocks"]
        assert section == {"type": "section", "text": {"type": "mrkdwn", "text": text}}
        assert context["type"] == "context" and got.key in context["elements"][0]["text"]

    async def test_silence_and_regression_read_as_what_happened(
        self, db: asyncpg.Connection, pool: asyncpg.Pool, fast: Settings, shop: Shop,
        receiver: Receiver,
    ) -> None:  # fmt: skip
        """A silence rule's message says no page views arrived; a regression's names the
        release, the metric's p75 change and the baseline, from the evaluator's reading."""
        hook = await destination(db, shop, receiver.url, fmt="slack")
        await notify(db, shop, [hook], details={
            "kind": "silence", "rule_name": "beacons stopped", "metric": None, "statistic": None,
            "comparison": None, "value": 20, "threshold": None, "window_minutes": 20,
            "samples": 0, "filters": {}, "release": None,
        })  # fmt: skip
        await notify(db, shop, [hook], details={
            "kind": "regression", "rule_name": "a release regressed", "metric": None,
            "statistic": None, "comparison": None, "value": 0.12, "threshold": None,
            "window_minutes": None, "samples": 340, "filters": {}, "release": "v2",
            "reading": {"baseline_release": "v1", "regressions": [{
                "metric": "LCP", "route": "/checkout", "device": "mobile", "change": 0.12,
                "p75": 2900.0, "baseline_p75": 2590.0, "samples": 340}]},
        })  # fmt: skip
        await deliver_pending(pool, fast, concurrency=1)
        silence, regression = (r.json()["text"] for r in receiver.requests)
        assert "*Firing: beacons stopped* — no page views in the last 20 minutes, while the same" \
               " hours of earlier weeks had traffic" in silence  # fmt: skip
        assert "*Firing: a release regressed* — release v2 regressed LCP: p75 +12.0% (2,900 ms" \
               " against 2,590 ms in v1), device mobile, route /checkout, 340 samples" \
               in regression  # fmt: skip


class TestRetries:
    @pytest.mark.parametrize("status", [500, 503, 408, 429])
    async def test_an_answer_that_may_pass_is_retried_with_the_same_key_and_body(
        self, db: asyncpg.Connection, pool: asyncpg.Pool, fast: Settings, shop: Shop,
        receiver: Receiver, status: int,
    ) -> None:  # fmt: skip
        """The attempt is counted, its status and the receiver's words kept, and the next one
        waits the base delay (jittered to between half and all of it); it is not sent before,
        and then arrives with the same key and the same bytes, freshly signed."""
        receiver.answer(Answer(status=status, body="busy, try later"))
        [delivery] = await notify(db, shop, [await destination(db, shop, receiver.url)])
        summary = await deliver_pending(pool, fast)
        assert (summary.delivered, summary.retrying) == (0, 1)
        first = await row(db, delivery)
        assert (first["status"], first["attempts"], first["last_status_code"]) == (
            "pending", 1, status,
        )  # fmt: skip
        assert (
            first["last_error"].startswith(str(status)) and "busy, try later" in first["last_error"]
        )
        wait = first["next_attempt_at"] - first["now"]
        assert timedelta(seconds=0.05) < wait <= timedelta(seconds=0.2)
        assert (await deliver_pending(pool, fast)).retrying == 0 and len(receiver.requests) == 1
        await until_due(db, delivery)
        assert (await deliver_pending(pool, fast)).delivered == 1
        second = await row(db, delivery)
        assert (second["status"], second["attempts"], second["last_status_code"]) == (
            "delivered", 2, 200,
        )  # fmt: skip
        assert second["last_error"] == first["last_error"]  # why it took two
        one, two = receiver.requests
        assert one.key == two.key == first["key"] and one.body == two.body
        assert two.signed_by(SECRET)

    async def test_the_delay_doubles_up_to_the_cap(
        self, db: asyncpg.Connection, pool: asyncpg.Pool, fast: Settings, shop: Shop,
        receiver: Receiver,
    ) -> None:  # fmt: skip
        """base 0.2 s, cap 1 s: the waits after attempts 1..5 are within (half, all] of 0.2,
        0.4, 0.8, 1 and 1 s."""
        receiver.answer(then=Answer(status=502))
        [delivery] = await notify(db, shop, [await destination(db, shop, receiver.url)])
        for ceiling in (0.2, 0.4, 0.8, 1.0, 1.0):
            await until_due(db, delivery)
            await deliver_pending(pool, fast)
            now = await row(db, delivery)
            wait = (now["next_attempt_at"] - now["now"]).total_seconds()
            assert ceiling / 2 - 0.05 < wait <= ceiling, (now["attempts"], wait)
        assert (now["status"], now["attempts"]) == ("pending", 5)
        assert len(receiver.requests) == 5

    async def test_retry_after_is_waited_within_the_cap(
        self, db: asyncpg.Connection, pool: asyncpg.Pool, fast: Settings, shop: Shop,
        receiver: Receiver,
    ) -> None:  # fmt: skip
        """A 429 asking for 30 s waits the cap (1 s), not the base delay (0.2 s)."""
        receiver.answer(Answer(status=429, headers={"Retry-After": "30"}))
        [delivery] = await notify(db, shop, [await destination(db, shop, receiver.url)])
        await deliver_pending(pool, fast)
        now = await row(db, delivery)
        assert timedelta(seconds=0.9) < now["next_attempt_at"] - now["now"] <= timedelta(seconds=1)

    async def test_a_receiver_that_does_not_answer_in_time_is_retried(
        self, db: asyncpg.Connection, pool: asyncpg.Pool, fast: Settings, shop: Shop,
        receiver: Receiver,
    ) -> None:  # fmt: skip
        """An answer slower than alerts_send_timeout_s is a timeout: pending, no status."""
        receiver.answer(Answer(hang=True))
        [delivery] = await notify(db, shop, [await destination(db, shop, receiver.url)])
        slow = msgspec.structs.replace(fast, alerts_send_timeout_s=0.5)
        started = time.monotonic()
        assert (await deliver_pending(pool, slow)).retrying == 1
        assert time.monotonic() - started < 2
        now = await row(db, delivery)
        assert (now["status"], now["last_status_code"]) == ("pending", None)
        assert now["last_error"] == "no answer within 0.5 s"

    async def test_a_receiver_down_for_twenty_seconds_gets_everything_once_back(
        self, db: asyncpg.Connection, pool: asyncpg.Pool, fast: Settings, shop: Shop,
    ) -> None:  # fmt: skip
        """While nothing listens, a sender running every 0.25 s tries each delivery with
        growing waits (refused connections, pending); once the receiver is back, each arrives
        exactly once, within the capped delay."""
        port = free_port()
        down = Receiver(port)
        hooks = [await destination(db, shop, down.url + f"/{n}") for n in range(3)]
        deliveries = await notify(db, shop, hooks)
        patient = msgspec.structs.replace(fast, alerts_retry_base_s=0.5, alerts_retry_cap_s=4.0)
        runs, started = 0, time.monotonic()
        while time.monotonic() - started < 20:
            await deliver_pending(pool, patient)
            runs += 1
            await asyncio.sleep(0.25)
        during = [await row(db, d) for d in deliveries]
        for stored in during:
            assert stored["status"] == "pending" and stored["last_status_code"] is None
            assert stored["last_error"].startswith("cannot connect"), stored["last_error"]
            # 0.5, 1, 2, 4, 4 … s apart at most: at least 6 in 20 s; the doubling keeps it
            # far below one per run.
            assert 6 <= stored["attempts"] <= 14, stored["attempts"]
        assert runs > 60
        receiver = await down.start()
        try:
            deadline = time.monotonic() + 10
            while len(receiver.requests) < 3 and time.monotonic() < deadline:
                await deliver_pending(pool, patient)
                await asyncio.sleep(0.25)
            for _ in range(8):  # a few more runs: nothing is sent twice
                await deliver_pending(pool, patient)
            after = [await row(db, d) for d in deliveries]
            assert [s["status"] for s in after] == ["delivered"] * 3
            assert sorted(r.key for r in receiver.requests) == sorted(s["key"] for s in after)
            for stored, before in zip(after, during, strict=True):
                assert stored["attempts"] >= before["attempts"] + 1
                assert stored["last_error"].startswith("cannot connect")
        finally:
            await receiver.stop()

    async def test_it_is_given_up_as_failed_past_the_maximum_age(
        self, db: asyncpg.Connection, pool: asyncpg.Pool, fast: Settings, shop: Shop,
        receiver: Receiver,
    ) -> None:  # fmt: skip
        """A retry is never planned past created_at + alerts_retry_max_age_s; the attempt at
        that deadline that fails too fails the delivery, saying it gave up."""
        receiver.answer(then=Answer(status=503))
        [delivery] = await notify(db, shop, [await destination(db, shop, receiver.url)])
        brief = msgspec.structs.replace(fast, alerts_retry_base_s=30, alerts_retry_cap_s=60,
                                        alerts_retry_max_age_s=1.0)  # fmt: skip
        await deliver_pending(pool, brief)
        first = await row(db, delivery)
        assert first["next_attempt_at"] == first["created_at"] + timedelta(seconds=1)
        await until_due(db, delivery)
        assert (await deliver_pending(pool, brief)).failed == 1
        last = await row(db, delivery)
        assert (last["status"], last["attempts"], last["last_status_code"]) == ("failed", 2, 503)
        assert last["last_error"].startswith("gave up after 2 attempts")
        assert "503" in last["last_error"]
        await asyncio.sleep(1.1)
        assert (await deliver_pending(pool, brief)).failed == 0 and len(receiver.requests) == 2


class TestFailedAtOnce:
    @pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
    async def test_a_refusal_fails_the_delivery_at_once(
        self, db: asyncpg.Connection, pool: asyncpg.Pool, fast: Settings, shop: Shop,
        receiver: Receiver, status: int,
    ) -> None:  # fmt: skip
        """Slack answers a deleted hook `404 no_service`: failed after one attempt, the
        status and the receiver's words in the log, and never sent again."""
        receiver.answer(Answer(status=status, body="no_service"))
        [delivery] = await notify(db, shop, [await destination(db, shop, receiver.url)])
        assert (await deliver_pending(pool, fast)).failed == 1
        stored = await row(db, delivery)
        assert (stored["status"], stored["attempts"], stored["last_status_code"]) == (
            "failed", 1, status,
        )  # fmt: skip
        assert stored["last_error"].startswith(str(status)) and "no_service" in stored["last_error"]
        assert stored["delivered_at"] is None
        later = stored["next_attempt_at"] + timedelta(days=2)
        assert (await deliver_pending(pool, fast, now=later)).failed == 0
        assert len(receiver.requests) == 1

    async def test_a_redirect_is_not_followed(
        self, db: asyncpg.Connection, pool: asyncpg.Pool, fast: Settings, shop: Shop,
        receiver: Receiver,
    ) -> None:  # fmt: skip
        """A 307 to elsewhere fails the delivery, naming the new URL; elsewhere gets nothing."""
        elsewhere = receiver.url.replace("/hook", "/elsewhere")
        receiver.answer(Answer(status=307, headers={"Location": elsewhere}))
        [delivery] = await notify(db, shop, [await destination(db, shop, receiver.url)])
        assert (await deliver_pending(pool, fast)).failed == 1
        stored = await row(db, delivery)
        assert (stored["status"], stored["last_status_code"]) == ("failed", 307)
        assert f"redirected to {elsewhere}" in stored["last_error"]
        assert [r.path for r in receiver.requests] == ["/hook"]

    @pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
    async def test_a_host_that_resolves_to_loopback_is_refused_and_nothing_sent(
        self, db: asyncpg.Connection, pool: asyncpg.Pool, settings: Settings, shop: Shop,
        receiver: Receiver, host: str,
    ) -> None:  # fmt: skip
        """Without alerts_allow_private_destinations, a destination that now resolves to
        127.0.0.1 (checked public when made, then rebound) fails with the reason; the
        receiver listening there gets nothing."""
        url = receiver.url.replace("127.0.0.1", host)
        [delivery] = await notify(db, shop, [await destination(db, shop, url)])
        assert not settings.alerts_allow_private_destinations
        assert (await deliver_pending(pool, settings)).failed == 1
        stored = await row(db, delivery)
        assert (stored["status"], stored["attempts"], stored["last_status_code"]) == (
            "failed", 1, None,
        )  # fmt: skip
        assert "which is not a public address" in stored["last_error"]
        assert receiver.requests == []


class TestConcurrentSenders:
    async def test_two_senders_send_each_delivery_once(
        self, db: asyncpg.Connection, fast: Settings, shop: Shop, receiver: Receiver,
    ) -> None:  # fmt: skip
        """Two workers (two pools) draining 16 deliveries at once, each receiver answer
        taking 50 ms: every delivery arrives exactly once, and both workers sent some."""
        receiver.answer(then=Answer(delay_s=0.05))
        hooks = [await destination(db, shop, receiver.url + f"/{n}") for n in range(16)]
        deliveries = await notify(db, shop, hooks)
        pools = [await create_pool(fast, "workers-test", min_size=0, max_size=4) for _ in "ab"]
        try:
            one, two = await asyncio.gather(*(deliver_pending(p, fast) for p in pools))
        finally:
            for p in pools:
                await p.close()
        assert one.delivered + two.delivered == 16 and one.delivered > 0 and two.delivered > 0
        assert Counter(r.key for r in receiver.requests) == Counter(
            {(await row(db, d))["key"]: 1 for d in deliveries}
        )
        assert {(await row(db, d))["attempts"] for d in deliveries} == {1}

    async def test_a_sender_killed_mid_send_is_replaced_by_the_next_run(
        self, db: asyncpg.Connection, pool: asyncpg.Pool, fast: Settings, shop: Shop,
        receiver: Receiver,
    ) -> None:  # fmt: skip
        """SIGKILL while the receiver holds the request: the row stays pending with no attempt
        counted, and the next run sends it again with the same idempotency key and body,
        which the receiver sees as one duplicate, no more."""
        receiver.answer(Answer(hang=True))
        [delivery] = await notify(db, shop, [await destination(db, shop, receiver.url)])
        env = settings_env(fast) | {"PYTHONPATH": str(ROOT)}
        sender = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.support.alert_sender", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            await receiver.wait_for(1, timeout_s=60)
            os.kill(sender.pid, signal.SIGKILL)
            assert await asyncio.wait_for(sender.wait(), 10) == -signal.SIGKILL
        finally:
            if sender.returncode is None:
                sender.kill()
                await sender.wait()
        stored = await row(db, delivery)
        assert (stored["status"], stored["attempts"]) == ("pending", 0)
        deadline = time.monotonic() + 10
        while (await row(db, delivery))["status"] == "pending" and time.monotonic() < deadline:
            await deliver_pending(pool, fast)  # the dead session's lock goes within moments
            await asyncio.sleep(0.1)
        stored = await row(db, delivery)
        assert (stored["status"], stored["attempts"]) == ("delivered", 1)
        killed, again = receiver.requests
        assert killed.key == again.key == stored["key"] and killed.body == again.body
        for _ in range(3):
            await deliver_pending(pool, fast)
        assert len(receiver.requests) == 2


class TestTheJob:
    async def test_the_scheduled_job_sends_what_is_due_with_the_workers_runtime(
        self, db: asyncpg.Connection, fast: Settings, shop: Shop, receiver: Receiver,
    ) -> None:  # fmt: skip
        """deliver_due, the job schedule.py enqueues by name, sends the due deliveries on the
        worker process's loop and pool, and reports the counts as its result."""
        assert import_attribute(DELIVER_JOB) is deliver_due
        receiver.answer(Answer(status=410))
        hooks = [await destination(db, shop, receiver.url + f"/{n}") for n in range(3)]
        await notify(db, shop, hooks)
        runtime.install(fast)
        try:
            result = await asyncio.to_thread(deliver_due)  # RQ runs jobs synchronously
        finally:
            await asyncio.to_thread(runtime.current().close)
        assert result == {"delivered": 2, "retrying": 0, "failed": 1}
        assert len(receiver.requests) == 3

    async def test_a_job_leaves_the_sending_to_the_one_already_at_it(
        self, db: asyncpg.Connection, fast: Settings, shop: Shop, receiver: Receiver,
    ) -> None:  # fmt: skip
        """While another worker's job holds the sender's lock, a job sends nothing and says
        so: a hanging receiver occupies one worker, not every worker."""
        [delivery] = await notify(db, shop, [await destination(db, shop, receiver.url)])
        await db.execute("SELECT pg_advisory_lock($1, $2)", *DELIVER_LOCK)
        runtime.install(fast)
        try:
            result = await asyncio.to_thread(deliver_due)
        finally:
            await db.execute("SELECT pg_advisory_unlock($1, $2)", *DELIVER_LOCK)
            await asyncio.to_thread(runtime.current().close)
        assert result == {"skipped": "another worker is sending"}
        assert receiver.requests == [] and (await row(db, delivery))["status"] == "pending"


class TestSignatures:
    """verify_signature, which receivers (and the README's snippet) rely on."""

    BODY = b'{"id":"3f1c","type":"alert.test"}'

    def test_a_fresh_signature_of_the_body_verifies(self) -> None:
        """HMAC-SHA256 of `<timestamp>.<body>`, hex, behind `sha256=`."""
        now = 1_765_000_000
        signature = sign(SECRET, now, self.BODY)
        assert signature.startswith("sha256=") and len(signature) == 7 + 64
        assert verify_signature(SECRET, str(now), self.BODY, signature, now=now + 10)

    def test_a_tampered_body_or_timestamp_or_other_secret_fails(self) -> None:
        now = 1_765_000_000
        signature = sign(SECRET, now, self.BODY)
        assert not verify_signature(SECRET, now, self.BODY.replace(b"test", b"firing"),
                                    signature, now=now)  # fmt: skip
        assert not verify_signature(SECRET, now + 1, self.BODY, signature, now=now)
        assert not verify_signature("vwh_" + "o" * 43, now, self.BODY, signature, now=now)
        assert not verify_signature(SECRET, now, self.BODY, signature.upper(), now=now)

    def test_an_old_or_future_timestamp_fails_even_with_a_good_signature(self) -> None:
        """A captured request replayed after the tolerance (5 minutes by default) fails."""
        then = 1_765_000_000
        signature = sign(SECRET, then, self.BODY)
        assert verify_signature(SECRET, then, self.BODY, signature, now=then + 299)
        assert not verify_signature(SECRET, then, self.BODY, signature, now=then + 301)
        assert not verify_signature(SECRET, then, self.BODY, signature, now=then - 301)
        assert verify_signature(SECRET, then, self.BODY, signature, now=then + 3000,
                                tolerance_s=3600)  # fmt: skip

    @pytest.mark.parametrize("timestamp", ["", "12a", "-5", "1.5", "١٧٦٥"])
    def test_a_malformed_timestamp_fails(self, timestamp: str) -> None:
        assert not verify_signature(SECRET, timestamp, self.BODY, sign(SECRET, 0, self.BODY),
                                    now=0, tolerance_s=10**12)  # fmt: skip
