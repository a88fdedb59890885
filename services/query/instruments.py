"""Prometheus counters of what the query service did, served on /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

STATEMENTS = Counter(
    "vitals_query_statements", "SQL statements the query service sent to the database", ["name"]
)
CACHE = Counter(
    "vitals_query_cache", "Result cache lookups by outcome (hit, miss, error, bypass)", ["outcome"]
)
REPLICA_LAG = Gauge(
    "vitals_query_replica_lag_seconds",
    "How far the query service's database replays behind its primary, as last read by "
    "/ready or a scrape (0 on a primary; NaN: behind, with no commit replayed yet)",
)
REPLICA_RECEIVING = Gauge(
    "vitals_query_replica_receiving",
    "1 while the query service's standby streams WAL from its primary, 0 while it does not "
    "(it still answers, with all it replayed); NaN on a primary",
)
