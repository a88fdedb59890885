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

import asyncpg
import msgspec
from litestar import Litestar, Request, post
from litestar.params import JSONBody

from services.contracts.database_errors import guarded
from services.contracts.errors import ApiError
from services.contracts.settings import Settings
from services.contracts.tokens import Role, mint_token, verify_token
from services.query.hashing import PasswordPool, unknown_user_hash
from services.query.instruments import STATEMENTS
from services.query.openapi import error_responses
from services.query.reads.users import User, fetch_user
from services.query.throttle import LoginThrottle, client_address

LIFETIME_S = 12 * 3600  # a working day; the dashboard asks again after that
# The user's role per granted project (migrations/0017_alerts.sql), for the token's
# `roles` claim. Read after the password matched, so a failed login costs one statement.
USER_ROLES = "SELECT project_id, role FROM user_projects WHERE user_id = $1"


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
    roles = await guarded(lambda: user_roles(request.app.state.db, user.id))
    token = mint_token(
        settings,
        subject=user.email,
        projects=user.projects,
        lifetime_s=min(LIFETIME_S, settings.jwt_max_lifetime_s),
        user=(user.id, user.token_generation),  # revocable: see contracts/generations.py
        # A grant made between the two reads waits for the next login.
        roles={p: role for p, role in roles.items() if p in user.projects},
    )
    claims = verify_token(settings, token)
    return IssuedToken(token, datetime.fromtimestamp(claims.exp, UTC), list(claims.projects))


async def user_roles(db: asyncpg.Pool, user_id: int) -> dict[int, Role]:
    STATEMENTS.labels("user_roles").inc()
    return {row["project_id"]: row["role"] for row in await db.fetch(USER_ROLES, user_id)}
