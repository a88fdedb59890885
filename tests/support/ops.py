"""The ops token every test service runs with, and the header that presents it."""

OPS_TOKEN = "test-ops-token-for-metrics-and-ready"
OPS_HEADERS = {"Authorization": f"Bearer {OPS_TOKEN}"}
