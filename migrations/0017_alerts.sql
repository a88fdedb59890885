-- Alerts (issue 14), part one: who administers a project, the rules, and where
-- notifications go. The evaluator's state, history and outbox come in a later migration.

-- A user's role per project. 'viewer' is what every existing grant allowed until now:
-- reading the project's dashboards, while every write (projects, keys, users, deploy
-- tokens) went through an operator's shell. Defaulting to 'admin' would quietly hand
-- every existing user the new API writes (alert rules, destinations); an operator gives
-- them with `vitals user grant EMAIL --project P --role admin`. Tokens carry the role
-- (services/contracts/tokens.py); vitals_reader's SELECT on user_projects covers it.
ALTER TABLE user_projects ADD COLUMN role text NOT NULL DEFAULT 'viewer'
    CHECK (role IN ('admin', 'viewer'));

-- One table for the three kinds; each kind's columns are set and the others' are NULL
-- (alert_rules_shape), so a row is a valid rule of its kind or cannot exist. The
-- vocabulary and bounds are services/contracts/alerts.py's, which the admin API checks
-- first to answer with a precise 400; these are the last line.
CREATE TABLE alert_rules (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id    integer NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    kind          text NOT NULL CHECK (kind IN ('threshold', 'regression', 'silence')),
    enabled       boolean NOT NULL DEFAULT true,
    -- threshold: the metric's statistic over the last window_minutes, on the filters
    -- (NULL: all), compared with threshold once at least min_samples were measured.
    metric        text CHECK (metric IN ('LCP', 'INP', 'CLS', 'FCP', 'TTFB')),
    statistic     text CHECK (statistic IN ('p75', 'good_share')),
    comparison    text CHECK (comparison IN ('above', 'below')),
    -- In the metric's unit (ms; CLS unitless); a good share is a fraction.
    threshold     double precision CHECK (threshold >= 0 AND threshold <= 3600000),
    window_minutes integer CHECK (window_minutes BETWEEN 5 AND 10080),
    min_samples   integer CHECK (min_samples BETWEEN 1 AND 1000000),
    route         text CHECK (char_length(route) BETWEEN 1 AND 2048),
    device        text CHECK (device IN ('desktop', 'mobile', 'tablet', 'other')),
    country       text CHECK (country ~ '^[A-Z]{2}$'),
    browser       text CHECK (char_length(browser) BETWEEN 1 AND 100),
    -- regression: a release the comparison judges `regressed`, on these metrics and
    -- devices (NULL: any).
    metrics       text[] CHECK (cardinality(metrics) BETWEEN 1 AND 5
                      AND metrics <@ ARRAY['LCP', 'INP', 'CLS', 'FCP', 'TTFB']),
    devices       text[] CHECK (cardinality(devices) BETWEEN 1 AND 4
                      AND devices <@ ARRAY['desktop', 'mobile', 'tablet', 'other']),
    -- silence: no beacon for this long while the same hours of earlier weeks had some.
    silence_minutes integer CHECK (silence_minutes BETWEEN 5 AND 10080),
    -- Against flapping: a firing rule resolves only once its value is back past the
    -- threshold by this fraction of it, for resolve_after_minutes; after resolving it
    -- does not notify again for cooldown_minutes.
    hysteresis_ratio      double precision NOT NULL DEFAULT 0.1
                          CHECK (hysteresis_ratio >= 0 AND hysteresis_ratio <= 0.9),
    resolve_after_minutes integer NOT NULL DEFAULT 10
                          CHECK (resolve_after_minutes BETWEEN 0 AND 1440),
    cooldown_minutes      integer NOT NULL DEFAULT 30
                          CHECK (cooldown_minutes BETWEEN 0 AND 10080),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alert_rules_name_unique UNIQUE (project_id, name),
    CONSTRAINT alert_rules_good_share_is_a_fraction
        CHECK (statistic IS DISTINCT FROM 'good_share' OR threshold <= 1),
    CONSTRAINT alert_rules_shape CHECK (
        CASE kind
        WHEN 'threshold' THEN
            num_nonnulls(metric, statistic, comparison, threshold, window_minutes,
                         min_samples) = 6
            AND num_nonnulls(metrics, devices, silence_minutes) = 0
        WHEN 'regression' THEN
            num_nonnulls(metric, statistic, comparison, threshold, window_minutes,
                         min_samples, route, device, country, browser, silence_minutes) = 0
        ELSE
            silence_minutes IS NOT NULL
            AND num_nonnulls(metric, statistic, comparison, threshold, window_minutes,
                             min_samples, route, device, country, browser, metrics,
                             devices) = 0
        END
    )
);

-- Webhooks a project's notifications are sent to. `secret` signs each body (HMAC-SHA256)
-- so it is kept as is (a hash could not sign); it is shown once, when the destination is
-- made, and only the owner (the workers' login, which sends) may read it back. Webhook
-- URLs often are credentials themselves (Slack's), so the logins that show destinations
-- read url_origin (scheme and host) and not the URL.
CREATE TABLE alert_destinations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  integer NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    url         text NOT NULL CHECK (char_length(url) <= 2048 AND url ~ '^https?://[^/?#]+'),
    url_origin  text GENERATED ALWAYS AS (substring(url FROM '^https?://[^/?#]+')) STORED,
    format      text NOT NULL DEFAULT 'generic' CHECK (format IN ('generic', 'slack')),
    secret      text NOT NULL CHECK (secret ~ '^vwh_[A-Za-z0-9_-]{43,}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alert_destinations_name_unique UNIQUE (project_id, name)
);

-- The admin service writes both, for a user whose token says they administer the
-- project; it checks such tokens against users' token generations (never their
-- passwords). It writes a destination's secret and URL but cannot read them back.
GRANT SELECT (id, token_generation) ON users TO vitals_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON alert_rules TO vitals_admin;
GRANT SELECT (id, project_id, name, url_origin, format, created_at),
      INSERT (project_id, name, url, format, secret), DELETE
    ON alert_destinations TO vitals_admin;

-- The query service shows rules and destinations (the dashboard's Alerts view), never
-- a secret or a full webhook URL.
GRANT SELECT ON alert_rules TO vitals_reader;
GRANT SELECT (id, project_id, name, url_origin, format, created_at)
    ON alert_destinations TO vitals_reader;
