-- Alerts (issue 14), part two: each rule's state, the history of its transitions, and the
-- outbox of notifications. The workers' evaluator (services/workers/alerts/) writes a
-- transition, its history row and one delivery per destination in one transaction, so a
-- notification exists exactly when its transition does; the sender then delivers each
-- delivery at least once, with its idempotency key, and keeps the log here.

-- One row per rule once it has been evaluated. 'ok' includes a resolved rule: the
-- transitions (firing, resolved) are the history's.
CREATE TABLE alert_states (
    rule_id          bigint PRIMARY KEY REFERENCES alert_rules (id) ON DELETE CASCADE,
    state            text NOT NULL CHECK (state IN ('ok', 'firing')),
    changed_at       timestamptz NOT NULL,  -- when it entered `state`
    evaluated_at     timestamptz NOT NULL,
    value            double precision,      -- the last value evaluated (NULL: no data)
    samples          bigint,
    -- Firing, and back past the threshold by the hysteresis margin since then: it
    -- resolves once this is resolve_after_minutes old. NULL otherwise.
    recovering_since timestamptz,
    resolved_at      timestamptz,           -- the last firing → resolved, for the cooldown
    release          text                   -- a regression rule: the release it fired for
);

-- Every transition, and every test notification (rule_id NULL).
CREATE TABLE alert_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id     integer NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    rule_id        bigint REFERENCES alert_rules (id) ON DELETE CASCADE,
    transition     text NOT NULL CHECK (transition IN ('firing', 'resolved', 'test')),
    at             timestamptz NOT NULL DEFAULT now(),
    -- What a notification names, kept as it was at the transition (a rule edited later
    -- does not rewrite its history): rule name, metric, statistic, value, threshold,
    -- window, samples, filters, release, the dashboard link.
    details        jsonb NOT NULL,
    CHECK ((rule_id IS NULL) = (transition = 'test'))
);
CREATE INDEX alert_events_project ON alert_events (project_id, at DESC);

-- The outbox and the delivery log: one row per (event, destination).
CREATE TABLE alert_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id         bigint NOT NULL REFERENCES alert_events (id) ON DELETE CASCADE,
    destination_id   bigint NOT NULL REFERENCES alert_destinations (id) ON DELETE CASCADE,
    project_id       integer NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    -- Sent with every attempt: a receiver that sees one twice (a sender killed after
    -- the receiver answered, before the row said so) recognises the duplicate.
    idempotency_key  uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    last_status_code integer,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    UNIQUE (event_id, destination_id)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX alert_deliveries_project ON alert_deliveries (project_id, created_at DESC);

-- The dashboard's Alerts view reads them through the query service.
GRANT SELECT ON alert_states, alert_events, alert_deliveries TO vitals_reader;
-- The admin service's "send a test notification": an event and its one delivery.
GRANT SELECT (id, project_id), INSERT (project_id, transition, details)
    ON alert_events TO vitals_admin;
GRANT SELECT (id, event_id, destination_id, project_id, idempotency_key, status),
      INSERT (event_id, destination_id, project_id)
    ON alert_deliveries TO vitals_admin;
