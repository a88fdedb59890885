"""The SQL that writes alert rules and destinations, and their caps: one definition for
the admin API (services/admin/alert_rules.py, destinations.py) and the operator's CLI
(services/cli/alerts.py, alert_destinations.py), so the two store alike."""

from __future__ import annotations

import secrets

from services.contracts.alerts import RULE_COLUMNS, AlertDestination, AlertRule

# Each rule costs every evaluation cycle; a project needs a handful, not thousands.
MAX_RULES_PER_PROJECT = 100
MAX_DESTINATIONS_PER_PROJECT = 20  # a team's channels, not a mailing list
SECRET_BYTES = 32  # HMAC-SHA256's block of security; 43 URL-safe characters

_RULE = ", ".join(AlertRule.__struct_fields__)
_SET = ", ".join(RULE_COLUMNS)
_VALUES = ", ".join(f"${n}" for n in range(3, len(RULE_COLUMNS) + 3))
SELECT_RULES = f"SELECT {_RULE} FROM alert_rules WHERE project_id = $1 ORDER BY id"
SELECT_RULE = f"SELECT {_RULE} FROM alert_rules WHERE project_id = $1 AND id = $2"
LOCK_RULE = SELECT_RULE + " FOR UPDATE"
# $2: the cap. Two concurrent creations may both pass it by one; it bounds, not counts.
INSERT_RULE = f"""
INSERT INTO alert_rules (project_id, {_SET})
SELECT $1, {_VALUES}
WHERE (SELECT count(*) FROM alert_rules WHERE project_id = $1) < $2
RETURNING {_RULE}
"""
UPDATE_RULE = f"""
UPDATE alert_rules SET ({_SET}) = ({_VALUES}), updated_at = now()
WHERE project_id = $1 AND id = $2
RETURNING {_RULE}
"""
DELETE_RULE = "DELETE FROM alert_rules WHERE project_id = $1 AND id = $2 RETURNING id"

_DESTINATION = ", ".join(AlertDestination.__struct_fields__)
SELECT_DESTINATIONS = (
    f"SELECT {_DESTINATION} FROM alert_destinations WHERE project_id = $1 ORDER BY id"
)
# $6: the cap, as for rules.
INSERT_DESTINATION = f"""
INSERT INTO alert_destinations (project_id, name, url, format, secret)
SELECT $1, $2, $3, $4, $5
WHERE (SELECT count(*) FROM alert_destinations WHERE project_id = $1) < $6
RETURNING {_DESTINATION}
"""
DELETE_DESTINATION = "DELETE FROM alert_destinations WHERE project_id = $1 AND id = $2 RETURNING id"


def new_secret() -> str:
    """A destination's signing secret (shown once)."""
    return "vwh_" + secrets.token_urlsafe(SECRET_BYTES)
