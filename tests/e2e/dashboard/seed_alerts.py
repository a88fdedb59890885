"""The alerts end-to-end data: one shop's alert rules as the evaluator leaves them (one
firing, one ok, one disabled), their history, a webhook destination and its deliveries.

Written with SQL into the tables the evaluator, the sender and the admin service keep
(migrations 0017 and 0018). The rules ask for a million samples, so the running worker's
evaluator holds each state as it is (too few samples to judge): the test reads the same
states whenever a cycle runs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import asyncpg

from tests.e2e.dashboard.seed import Seeded

FIRING, CALM, SWITCHED_OFF = "Checkout LCP", "Homepage INP", "Beacons stopped"
DESTINATION = "#web-perf"
SECRET = "vwh_" + "e2e-secret-" * 4
UNJUDGEABLE = 1_000_000  # samples a rule needs: more than the shop will ever send here

RULE = """
INSERT INTO alert_rules (project_id, name, kind, metric, statistic, comparison, threshold,
                         window_minutes, min_samples, route, device)
VALUES ($1, $2, 'threshold', $3, 'p75', 'above', $4, 60, $5, $6, $7) RETURNING id
"""
STATE = """
INSERT INTO alert_states (rule_id, state, changed_at, evaluated_at, value, samples)
VALUES ($1, $2, $3, $3, $4, $5)
"""
EVENT = """
INSERT INTO alert_events (project_id, rule_id, transition, at, details)
VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING id
"""
DELIVERED = """
INSERT INTO alert_deliveries (event_id, destination_id, project_id, status, attempts,
                              last_status_code, created_at, delivered_at)
VALUES ($1, $2, $3, 'delivered', 1, 200, $4::timestamptz, $4::timestamptz + interval '1 second')
"""


async def seed_alerts(db: asyncpg.Connection) -> Seeded:
    now = datetime.now(UTC)
    project: int = await db.fetchval(
        "INSERT INTO projects (slug, name) VALUES ('shop', 'Shop') RETURNING id"
    )
    firing = await db.fetchval(
        RULE, project, FIRING, "LCP", 2500, UNJUDGEABLE, "/checkout", "mobile"
    )
    calm = await db.fetchval(RULE, project, CALM, "INP", 200, UNJUDGEABLE, "/", None)
    await db.execute(
        "INSERT INTO alert_rules (project_id, name, kind, enabled, silence_minutes) "
        "VALUES ($1, $2, 'silence', false, 30)", project, SWITCHED_OFF,
    )  # fmt: skip
    await db.execute(STATE, firing, "firing", now - timedelta(minutes=20), 3412.0, 1500)
    await db.execute(STATE, calm, "ok", now - timedelta(days=2), 150.0, 900)
    destination = await db.fetchval(
        "INSERT INTO alert_destinations (project_id, name, url, secret) "
        "VALUES ($1, $2, 'http://127.0.0.1:9/hook', $3) RETURNING id", project, DESTINATION, SECRET,
    )  # fmt: skip
    for minutes, transition in ((180, "firing"), (120, "resolved"), (20, "firing")):
        at = now - timedelta(minutes=minutes)
        details = {"rule_name": FIRING, "metric": "LCP", "statistic": "p75", "threshold": 2500,
                   "value": 3412.0 if transition == "firing" else 2100.0, "samples": 1500,
                   "window_minutes": 60, "link": "http://dashboard.example/?project=1"}  # fmt: skip
        event = await db.fetchval(EVENT, project, firing, transition, at, json.dumps(details))
        await db.execute(DELIVERED, event, destination, project, at)
    return Seeded(project_id=project, page_views=0, rows=0)
