"""The query service on a streaming replica (README, "Read replicas").

A private primary (tests/support/postgres.py) and its hot standby (tests/support/standby.py)
on this machine; ingest and a worker write to the primary through the real queue, and
query services read the standby, or the primary to compare.
"""
