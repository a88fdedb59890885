"""End-to-end tests: the real processes, Redis and TimescaleDB, driven from outside.

The write-path tests in this folder keep a ledger of what ingest answered and, once the
queue has drained, check the database against it (ledger.py): one raw row per accepted
(project, time origin, metric id), the latest report of each id as its value, and
rollups equal to a recount of the raw rows.
"""
