"""The one configuration object every Vitals process reads, parsed once at start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

import msgspec

ENV_PREFIX = "VITALS_"
# The query service's login role (migrations/0008_query_login.sql): a member of
# vitals_reader and nothing else.
QUERY_ROLE = "vitals_query"
# The admin service's login role (migrations/0015_deploy_tokens.sql): the write side of
# what people do in the dashboard or CI, granted only what those writes need.
ADMIN_ROLE = "vitals_admin"
# RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
MIN_JWT_SECRET_BYTES = 32


class SettingsError(ValueError):
    """A VITALS_* variable is missing or malformed; the message names it."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str
    redis_url: str
    # The query service's own login, which may only read (QUERY_ROLE, made by the
    # migrations; perhaps on a read replica). Unset: database_url's server and database
    # as QUERY_ROLE with query_database_password, which `vitals migrate` gives the role.
    query_database_url: str | None = None
    query_database_password: str | None = None
    # On a streaming replica, the query service's /ready answers 503 past this replay lag.
    # 30 s: a healthy replica replays within milliseconds, but PostgreSQL lets replay wait
    # up to max_standby_streaming_delay (30 s by default) for a replica query it conflicts
    # with; beyond that, replay is stuck or the replica has lost its primary.
    query_max_replica_lag_s: float = 30.0
    # The admin service's own login (ADMIN_ROLE), with the same defaults as the query's.
    admin_database_url: str | None = None
    admin_database_password: str | None = None
    # The cache may live on a separate, evicting Redis; the queue never may.
    cache_redis_url: str | None = None

    jwt_secret: str | None = None
    jwt_issuer: str = "vitals"
    jwt_audience: str = "vitals-dashboard"
    # No token is honoured past this lifetime (exp - iat and its age), whatever it claims:
    # a leaked token is bounded. 24 h covers the dashboard's 12-hour login with room.
    jwt_max_lifetime_s: int = 86_400
    # A revoked user's tokens (password change, `vitals user revoke`) stop working within
    # this many seconds: the per-user token generation is cached that long per process.
    token_check_ttl_s: float = 5.0

    log_format: Literal["console", "json"] = "console"
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    db_pool_min: int = 1
    db_pool_max: int = 10
    # Bounded so a stuck statement fails the job (and RQ retries) instead of hanging.
    db_command_timeout_s: float = 30.0
    db_acquire_timeout_s: float = 10.0
    # The workers' sessions only, all below the job lease (15 s, services/workers/worker.py):
    # a stalled worker (paused, swapping, half-dead) is cut off by the server and its locks
    # released before its job is re-run elsewhere, and a healthy worker waiting on such
    # locks gives up in seconds and retries its batch in-process instead of queueing up.
    worker_lock_timeout_s: float = 5.0
    worker_statement_timeout_s: float = 10.0
    worker_idle_in_transaction_timeout_s: float = 10.0
    # A batch job that starts while fewer than worker_gather_beacons wait in the queue
    # (its own included) waits up to worker_linger_s for them before it claims what waits
    # (services/workers/gathering.py): fewer, bigger transactions for a worker that keeps
    # up, at the price of that much lag. 0 turns it off.
    worker_linger_s: float = 0.2
    worker_gather_beacons: int = 800
    # Redis calls on the request path must fail fast: ingest answers 503, not a hang.
    redis_timeout_s: float = 2.0

    # Ingest: revocation takes effect within this many seconds.
    key_cache_ttl_s: float = 5.0
    # In RQ jobs, each holding up to a few hundred beacons (about 1 MiB at most): past
    # this, ingest answers 503 instead of letting the queue Redis run out of memory.
    max_queue_depth: int = 20_000
    # Group commit: a beacon waits up to commit_linger_s for company before its job is
    # written. While more than commit_backlog_jobs wait (the workers are behind), it waits
    # up to commit_backlog_linger_s instead: bigger jobs cost the workers far less per
    # report, which is what lets them catch up. sendBeacon never reads the answer, so the
    # extra tens of milliseconds cost a browser nothing.
    commit_linger_s: float = 0.010
    commit_backlog_linger_s: float = 0.040
    commit_backlog_jobs: int = 20
    # A tab re-sends CLS and INP under its first time origin as long as it lives; client
    # clocks run minutes ahead, not more. Outside this window a beacon is refused (400).
    time_origin_max_age_s: float = 172_800.0
    time_origin_max_ahead_s: float = 600.0
    # A trusted proxy's country header (e.g. cf-ipcountry); set it only behind a proxy
    # that overwrites it, or clients choose their own country. When it is set and present
    # it wins; otherwise ingest looks the client's address (trusted_proxy_hops) up in the
    # DB-IP Lite table (services/ingest/geo.py) unless country_from_address is off. The
    # address is never stored nor logged.
    country_header: str | None = None
    country_from_address: bool = True

    # Login (query service). Failed logins are counted per account (normalised email)
    # and per client address over a fixed window; at the limit login answers 429 before
    # spending an argon2 verification. 10 per account per 15 minutes lets a person
    # mistype and holds a guesser to ~1,000 tries a day (NIST SP 800-63B §5.2.2 allows at
    # most 100 consecutive failures); 50 per address lets an office behind one NAT mistype
    # and stops one address spraying many accounts.
    login_account_failures: int = 10
    login_address_failures: int = 50
    login_window_s: int = 900
    # How many reverse proxies in front of the query service and ingest append to
    # X-Forwarded-For (login throttling, the country of a beacon).
    # 0: the socket peer is the client, since any client can write that header itself.
    trusted_proxy_hops: int = 0
    # argon2 runs on this many threads (0: half the cores, at least one, so a login flood
    # leaves CPU to the read API; argon2-cffi releases the GIL), with at most
    # login_hash_queue logins waiting for one; past that login answers 503 at once.
    login_hash_threads: int = 0
    login_hash_queue: int = 16
    # records:queryRecord calls per project per minute (0: no limit); past it 429 with
    # Retry-After, as CrUX answers. 150 is Google's CrUX API quota, so a tool written for
    # CrUX paces itself the same way against us.
    crux_queries_per_minute: int = 150

    # Retention, in days: raw rows feed breakdowns and attribution (CrUX's 28-day window
    # plus a week); hourly rollups a quarter of trends; daily ones year over year.
    retention_raw_days: int = 35
    retention_hourly_days: int = 90
    retention_daily_days: int = 730

    realtime_cors_origins: tuple[str, ...] = ()

    # Alert webhooks may go to loopback, private and link-local addresses (a receiver on
    # the same host or network, the tests' own). Off: a destination is a request our
    # servers make to an address a user chose, which must not reach the services beside
    # ours (services/contracts/alerts.py).
    alerts_allow_private_destinations: bool = False
    # A webhook attempt that may succeed later (a 5xx, 408 or 429, a timeout, a refused
    # connection) is retried after base · 2^(attempts - 1) seconds, capped, each delay
    # jittered down to half so the deliveries queued for a receiver that comes back do not
    # all arrive at once: 10 s, 20 s, 40 s … 5 min, 24 h since the notification was made
    # before it is given up as failed (services/workers/alerts/delivery.py).
    alerts_retry_base_s: float = 10.0
    alerts_retry_cap_s: float = 300.0
    alerts_retry_max_age_s: float = 86_400.0
    # One attempt, connecting included; a receiver (Slack's too) answers within a second,
    # and the sender holds the delivery's row lock meanwhile.
    alerts_send_timeout_s: float = 10.0
    # Alert rules are evaluated this often (services/workers/alerts/schedule.py).
    alerts_evaluate_every_s: int = 60
    # Where people open the dashboard: a notification links to the view it is about
    # (`make run` serves it at base port + 3; behind a proxy, its public URL).
    dashboard_url: str = "http://localhost:8003"

    # Bearer token for every service's operational endpoints (/metrics, /ready's reasons):
    # they reveal site-wide traffic and the setup, and ingest's listener is public. Unset,
    # /metrics answers 404 and /ready only its status (services/contracts/ops.py).
    ops_token: str | None = None

    @property
    def cache_url(self) -> str:
        return self.cache_redis_url or self.redis_url

    @property
    def query_url(self) -> str:
        return self.query_database_url or self._login_url(QUERY_ROLE, self.query_database_password)

    @property
    def admin_url(self) -> str:
        return self.admin_database_url or self._login_url(ADMIN_ROLE, self.admin_database_password)

    def _login_url(self, role: str, password: str | None) -> str:
        """database_url's server and database, logged in as `role`."""
        scheme, netloc, path, query, fragment = urlsplit(self.database_url)
        user = quote(role, safe="")
        if password:
            user += ":" + quote(password, safe="")
        server = netloc.rpartition("@")[2]
        return urlunsplit((scheme, f"{user}@{server}", path, query, fragment))

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return cls.__struct_fields__

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        raw: dict[str, object] = {}
        for name in cls.field_names():
            value = environ.get(ENV_PREFIX + name.upper())
            if value is None or value == "":
                continue
            raw[name] = _split_list(value) if name.endswith("_origins") else value
        try:
            return msgspec.convert(raw, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise SettingsError(_name_the_variable(str(exc))) from None

    def require_jwt_secret(self) -> str:
        if not self.jwt_secret:
            raise SettingsError("VITALS_JWT_SECRET is required by this service and is not set")
        if len(self.jwt_secret.encode()) < MIN_JWT_SECRET_BYTES:
            raise SettingsError(f"VITALS_JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes")
        return self.jwt_secret


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _name_the_variable(message: str) -> str:
    """Turn msgspec's `... - at `$.db_pool_max`` into the environment variable's name."""
    if "`$." in message:
        field = message.split("`$.", 1)[1].split("`", 1)[0].split("[", 1)[0]
        return f"{ENV_PREFIX}{field.upper()}: {message.split(' - at ', 1)[0]}"
    if "missing required field" in message:
        field = message.split("`")[1]
        return f"{ENV_PREFIX}{field.upper()} is required and is not set"
    return message
