"""`POST /v1/auth/token`: a dashboard user's email and password for a short-lived JWT.

An unknown email and a wrong password fail alike (401 `invalid_credentials`), and both
pay for one argon2 verification, so the response time does not tell which it was.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any

import anyio.to_thread
import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error, InvalidHashError
from litestar import Request, post
from litestar.params import JSONBody

from services.contracts.errors import ApiError
from services.contracts.settings import Settings
from services.contracts.tokens import mint_token, verify_token
from services.query.answers import guarded
from services.query.reads.users import User, fetch_user

LIFETIME_S = 12 * 3600  # a working day; the dashboard asks again after that
# Each verification holds argon2's memory cost (64 MiB by default): bound how many run.
_VERIFYING = asyncio.Semaphore(4)
_hasher = PasswordHasher()


@cache
def _unknown_user_hash() -> str:
    """Verified against when the email is unknown, so that path costs the same."""
    return _hasher.hash("not a password anyone has")


# PostgreSQL text cannot hold NUL, so such an email is refused before it reaches SQL.
Email = Annotated[str, msgspec.Meta(min_length=1, max_length=320, pattern="^[^\x00]+$")]


class Credentials(msgspec.Struct, frozen=True):
    email: Email
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


class IssuedToken(msgspec.Struct, frozen=True):
    token: str
    expires_at: datetime
    projects: list[int]


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (Argon2Error, InvalidHashError):
        return False


async def check_password(user: User | None, password: str) -> bool:
    password_hash = user.password_hash if user else _unknown_user_hash()
    async with _VERIFYING:
        matches = await anyio.to_thread.run_sync(_verify, password_hash, password)
    return matches and user is not None


@post(
    "/v1/auth/token",
    status_code=200,
    summary="Exchange a dashboard user's email and password for a JWT",
    description="The token grants the user's projects and expires after 12 hours.",
)
async def issue_token(
    *, request: Request[Any, Any, Any], data: JSONBody[Credentials]
) -> IssuedToken:
    settings: Settings = request.app.state.settings

    user = await guarded(lambda: fetch_user(request.app.state.db, data.email.strip()))
    if not await check_password(user, data.password) or user is None:
        raise ApiError(401, "invalid_credentials", "unknown email or wrong password")
    token = mint_token(settings, subject=user.email, projects=user.projects, lifetime_s=LIFETIME_S)
    claims = verify_token(settings, token)
    return IssuedToken(token, datetime.fromtimestamp(claims.exp, UTC), list(claims.projects))
