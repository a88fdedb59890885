"""Prometheus counters of what the query service did, served on /metrics."""

from __future__ import annotations

from prometheus_client import Counter

STATEMENTS = Counter(
    "vitals_query_statements", "SQL statements the query service sent to the database", ["name"]
)
CACHE = Counter(
    "vitals_query_cache", "Result cache lookups by outcome (hit, miss, error, bypass)", ["outcome"]
)
