"""`POST /v1/auth/token`: a dashboard user's email and password for a short-lived JWT.

An unknown email and a wrong password fail alike (401 `invalid_credentials`), and both
pay for one argon2 verification, so the response time does not tell which it was.
Failed attempts are throttled per account and per address (services/query/throttle.py),
and verifications run on a bounded pool (services/query/hashing.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Litestar, Request, post
from litestar.params import JSONBody

from services.contracts.database_errors import guarded
from services.contracts.errors import ApiError
from services.contracts.settings import Settings
from services.contracts.tokens import Role, verify_token
from services.contracts.user_tokens import UserGrants, mint_user_token, user_grants
from services.query.hashing import PasswordPool, unknown_user_hash
from services.query.instruments import STATEMENTS
from services.query.openapi import error_responses
from services.query.reads.histograms import Db
from services.query.reads.users import User, fetch_user
from services.query.throttle import LoginThrottle, client_address

LIFETIME_S = 12 * 3600  # a working day; the dashboard asks again after that


@asynccontextmanager
async def login_lifespan(app: Litestar) -> AsyncIterator[None]:
    """The throttle's counters (in the cache Redis, opened before) and the hash pool."""
    settings: Settings = app.state.settings
    app.state.login_throttle = LoginThrottle(app.state.cache, settings)
    app.state.passwords = PasswordPool(settings)
    try:
        yield
    finally:
        app.state.passwords.close()


# PostgreSQL text cannot hold NUL, so such an email is refused before it reaches SQL.
Email = Annotated[str, msgspec.Meta(min_length=1, max_length=320, pattern="^[^\x00]+$")]


class Credentials(msgspec.Struct, frozen=True):
    email: Email
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


class IssuedToken(msgspec.Struct, frozen=True):
    token: str
    expires_at: datetime
    projects: list[int]
    # What the user may do, for the dashboard to show admin screens only to admins (the
    # admin service checks every write itself): the role per project ({"<id>": role}; a
    # project not named is viewer's), and whether they own the instance (admin of all).
    roles: dict[str, Role] = msgspec.field(default_factory=dict)
    owner: bool = False


async def check_password(passwords: PasswordPool, user: User | None, password: str) -> bool:
    password_hash = user.password_hash if user else unknown_user_hash()
    matches = await passwords.verify(password_hash, password)
    return matches and user is not None


@post(
    "/v1/auth/token",
    responses=error_responses(400, 401, 429, 503),
    status_code=200,
    summary="Exchange a dashboard user's email and password for a JWT",
    description="The token grants the user's projects and expires after 12 hours.",
)
async def issue_token(
    *, request: Request[Any, Any, Any], data: JSONBody[Credentials]
) -> IssuedToken:
    settings: Settings = request.app.state.settings
    throttle: LoginThrottle = request.app.state.login_throttle
    address = client_address(request, settings.trusted_proxy_hops)

    await throttle.take(data.email, address)
    try:
        user = await guarded(lambda: fetch_user(request.app.state.db, data.email.strip()))
        matches = await check_password(request.app.state.passwords, user, data.password)
    except ApiError:  # database down, hash pool full: not a failed guess
        await throttle.undecided(data.email, address)
        raise
    if not matches or user is None:
        raise ApiError(401, "invalid_credentials", "unknown email or wrong password")
    await throttle.succeeded(data.email, address)
    # Read after the password matched, so a failed login costs one statement.
    grants = await guarded(lambda: current_grants(request.app.state.db, user))
    token = mint_user_token(settings, grants, min(LIFETIME_S, settings.jwt_max_lifetime_s))
    claims = verify_token(settings, token)
    return IssuedToken(
        token, datetime.fromtimestamp(claims.exp, UTC), list(claims.projects), claims.roles,
        claims.owner,
    )  # fmt: skip


async def current_grants(db: Db, user: User) -> UserGrants:
    """The user's projects and roles (an owner's: every live project), minted under the
    generation the password was checked at: a change in between makes the token stale,
    never newer than the check (revocable: see contracts/generations.py)."""
    STATEMENTS.labels("user_roles").inc()
    grants = await user_grants(db, user.id)
    if grants is None:  # removed in between
        raise ApiError(401, "invalid_credentials", "unknown email or wrong password")
    return msgspec.structs.replace(grants, generation=user.token_generation)
