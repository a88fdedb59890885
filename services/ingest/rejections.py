"""Why ingest refuses a beacon: one error type whose code is both the API error and the
metric's drop reason, so the two can never disagree."""

from __future__ import annotations

from services.contracts.errors import ApiError

# Seconds a client should wait before retrying when the queue cannot take the beacon.
RETRY_AFTER_UNAVAILABLE_S = 5
RETRY_AFTER_QUEUE_FULL_S = 30


class Rejected(ApiError):
    """A refused beacon; `reports` is how many reports it carried, when the body was read."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        reports: int = 0,
        retry_after_s: int | None = None,
    ) -> None:
        headers = {"Retry-After": str(retry_after_s)} if retry_after_s is not None else None
        super().__init__(status, code, detail, headers)
        self.reports = reports


def forbidden() -> Rejected:
    # Unknown and revoked keys get the same answer: a caller learns nothing about which.
    return Rejected(403, "forbidden", "unknown or revoked key")


def queue_unavailable(reports: int = 0) -> Rejected:
    return Rejected(
        503,
        "queue_unavailable",
        "the beacon queue is unreachable; retry later",
        reports=reports,
        retry_after_s=RETRY_AFTER_UNAVAILABLE_S,
    )


def registry_unavailable() -> Rejected:
    # 503, never 403: the key may well be valid, and a 403 is never retried. The workers
    # rebuild the registry from the database within seconds (services/workers/registry.py).
    return Rejected(
        503,
        "registry_unavailable",
        "the key registry is being rebuilt; retry later",
        retry_after_s=RETRY_AFTER_UNAVAILABLE_S,
    )
