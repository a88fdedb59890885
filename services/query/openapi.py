"""The API's description and error shapes in the served OpenAPI schema (/schema)."""

from typing import Any

import msgspec
from litestar.openapi import ResponseSpec

DESCRIPTION = """
Read-only views over a project's Core Web Vitals (LCP, INP, CLS, FCP, TTFB).

**Authentication.** Every view needs `Authorization: Bearer <JWT>`: a token from
`POST /v1/auth/token` or `vitals token`. 401 `invalid_token` when it is missing, malformed,
expired or not ours; 403 `forbidden_project` when it does not grant the path's project.

**Windows.** `from`/`to` (ISO 8601, `to` exclusive) or `range` (`last 7d`, `24h`, `30m`,
`2w`; default `last 7d`; at most 400 days). A relative range of a day or more ends at the
next whole hour, a shorter one at the next whole minute. `tz` (IANA, default UTC) aligns
time-series buckets to local wall-clock time.

**Filters.** `route`, `device`, `browser`, `os`, `country`, `connection`,
`navigation_type`; several values of one filter match any of them, several filters must
all match. Rollups answer queries filtered or grouped by route and device, or by device,
browser and country; `os`, `connection` and `navigation_type` (and route combined with
browser or country) are answered from raw rows, which are slower over long windows and
kept for a shorter time (35 days by default; rollups keep 90 days of hours, 2 years of
days). Attribution always reads raw rows.

**Percentiles** are nearest-rank: for n samples and quantile q, the sample of rank
ceil(q·n) in ascending order (numpy's `quantile(..., method="inverted_cdf")`, PostgreSQL's
`percentile_disc`). Summary, time series, breakdown and CrUX percentiles come from
log-scale histograms (DDSketch bins, relative accuracy 1 %): the value reported is within
1 % of that exact sample's value (exactly 0 for 0). Counts and rating shares are exact.
Attribution percentiles are computed from raw rows and are exact. Groups with fewer than
30 samples are flagged `low_sample`.

**Ratings** follow web-vitals' thresholds: good ≤ 2500 / 200 / 0.1 / 1800 / 800 and poor >
4000 / 500 / 0.25 / 3000 / 1800 for LCP / INP / CLS / FCP / TTFB (ms; CLS is a score).

**Caching.** Answers are cached per project and normalised query. A window that can still
receive data (ingest accepts page views up to 48 h late) is cached under the data versions
of its hours, so data stored since is always in the answer; one that touches now lives at
most 10 s, a final one 1 h. Send `Cache-Control: no-cache` to compute afresh. Never cached:
a release's comparison and check, and the alerts views (state, history, deliveries), which
answer `Cache-Control: no-store`.

**Errors** are `{"error": code, "detail": message}`: 400 `invalid_parameter` (the detail
names the parameter), 401 `invalid_token` / `invalid_credentials`, 403
`forbidden_project`, 404 `not_found`, 503 `query_timeout` / `database_unavailable`.
`records:queryRecord` alone answers in the CrUX API's own shape, `{"error": {"code",
"message", "status", "details"}}`, so CrUX clients read its 404 NOT_FOUND as "no data" and
retry its 429 RESOURCE_EXHAUSTED (Retry-After).
""".strip()


class ErrorBody(msgspec.Struct, frozen=True):
    """Every error the API answers: a stable code for programs, a detail for people."""

    error: str
    detail: Any = None  # a message; for invalid_parameter, what was wrong with which one
    request_id: str | None = None  # only on 500: quote it when reporting the failure


_MEANINGS = {
    400: "`invalid_parameter`: the detail names the parameter or body field",
    401: "`invalid_token`, `token_revoked` or `invalid_credentials`",
    403: "`forbidden_project`: the token does not grant this project",
    404: "`not_found`: no such project",
    429: "`too_many_attempts`: wait for Retry-After seconds",
    500: "`internal_error`: logged with the request id the body and X-Request-Id carry",
    503: "`query_timeout`, `database_unavailable` or `busy`: retry later",
}


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """The error answers of one operation, in the shape they really have.

    Replaces Litestar's generated 400 (`{status_code, detail, extra}`), which is not what
    our exception handlers send.
    """
    return {
        status: ResponseSpec(ErrorBody, description=_MEANINGS[status], generate_examples=False)
        for status in (*statuses, 500)
    }


VIEW_ERRORS = error_responses(400, 401, 403, 404, 503)
