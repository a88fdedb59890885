"""`POST /v1/admin/password`: whoever holds a set-password link chooses the password.

Public (the link is the credential) and rate-limited per client address, since each
attempt may cost an argon2 hash. A link that was used answers 410 `link_used`, one past
its 24 hours 410 `link_expired`, an unknown one 404 `link_not_found`. Setting the
password ends every token the user had (their generation moves on), as a change by
`vitals user password` does.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import asyncpg
import msgspec
import redis.asyncio
from argon2 import PasswordHasher
from litestar import Request, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import JSONBody

from services.admin.json_bodies import body_errors
from services.admin.openapi import errors
from services.admin.password_links import looks_like_token, token_sha256
from services.contracts.database_errors import guarded
from services.contracts.errors import ApiError

CODE = "invalid_password"
MIN_PASSWORD_LENGTH = 8  # as `vitals user password`
# Per client address: a person mistyping needs a few; a guesser of 256-bit tokens gets
# nowhere at any rate, and the limit bounds the hashing a flood can cost.
ATTEMPTS_PER_WINDOW = 10
WINDOW_S = 900
THROTTLE_KEY = "vitals:admin:set-password:"

LINK_STATE = """
SELECT user_id, used_at IS NOT NULL AS used, expires_at <= now() AS expired
FROM password_links WHERE token_sha256 = $1
"""
CLAIM_LINK = """
UPDATE password_links SET used_at = now()
WHERE token_sha256 = $1 AND used_at IS NULL AND expires_at > now()
RETURNING user_id
"""
STORE_HASH = """
UPDATE users SET password_hash = $2, password_set_at = now(),
    token_generation = token_generation + 1
WHERE id = $1 RETURNING email
"""
_hasher = PasswordHasher()


class NewPassword(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(max_length=200)]
    password: Annotated[str, msgspec.Meta(max_length=1024)]


class PasswordSet(msgspec.Struct, frozen=True):
    user_id: int
    email: str  # to sign in with


def client_address(connection: ASGIConnection[Any, Any, Any, Any], trusted_proxy_hops: int) -> str:
    """The socket peer, or what the nearest trusted proxy saw (as the query's login)."""
    peer = connection.client.host if connection.client else "unknown"
    if trusted_proxy_hops <= 0:
        return peer
    hops = [
        hop.strip()
        for header in connection.headers.getall("x-forwarded-for", [])
        for hop in header.split(",")
        if hop.strip()
    ]
    return hops[-trusted_proxy_hops] if len(hops) >= trusted_proxy_hops else peer


async def take_attempt(client: redis.asyncio.Redis, address: str) -> None:
    key = THROTTLE_KEY + address
    async with client.pipeline(transaction=True) as pipe:
        pipe.set(key, 0, ex=WINDOW_S, nx=True)  # the window starts at the first attempt
        pipe.incr(key)
        pipe.ttl(key)
        _, count, ttl = await pipe.execute()
    if count > ATTEMPTS_PER_WINDOW:
        raise ApiError(429, "too_many_attempts", "too many set-password attempts; wait",
                       {"Retry-After": str(max(1, ttl))})  # fmt: skip


def link_refusal(state: asyncpg.Record | None) -> ApiError:
    if state is None:
        return ApiError(404, "link_not_found", "this set-password link is not known")
    if state["used"]:
        return ApiError(410, "link_used", "this link was used already; ask for a new one")
    return ApiError(410, "link_expired", "this link has expired; ask for a new one")


async def throttled(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: an attempt counted before the body is read, so no input skips the count."""
    state = connection.app.state
    address = client_address(connection, state.settings.trusted_proxy_hops)
    try:
        await take_attempt(state.cache, address)
    except redis.RedisError:
        raise ApiError(503, "throttle_unavailable", "retry shortly", {"Retry-After": "5"}) from None


@post("/v1/admin/password", guards=[throttled], status_code=200, request_max_body_size=4096,
      responses=errors(400, 404, 410, 429, 503),
      exception_handlers=body_errors(CODE),
      summary="Set a password with a one-time link (public, rate-limited)")  # fmt: skip
async def set_password(request: Request[Any, Any, Any], data: JSONBody[NewPassword]) -> PasswordSet:
    wanted = data
    if not looks_like_token(wanted.token):
        raise link_refusal(None)
    digest = token_sha256(wanted.token)
    db = request.app.state.db
    link = await guarded(lambda: db.fetchrow(LINK_STATE, digest))
    if link is None or link["used"] or link["expired"]:
        raise link_refusal(link)
    if not len(wanted.password) >= MIN_PASSWORD_LENGTH or "\x00" in wanted.password:
        detail = f"a password has at least {MIN_PASSWORD_LENGTH} characters and no NUL"
        raise ApiError(400, CODE, detail)
    password_hash = await asyncio.to_thread(_hasher.hash, wanted.password)

    async def claim() -> PasswordSet:
        async with db.acquire() as connection, connection.transaction():
            user_id = await connection.fetchval(CLAIM_LINK, digest)
            if user_id is None:  # used or expired since the check above
                raise link_refusal(await connection.fetchrow(LINK_STATE, digest))
            email = await connection.fetchval(STORE_HASH, user_id, password_hash)
            return PasswordSet(user_id, email)

    return await guarded(claim)


SET_PASSWORD_HANDLERS = [set_password]
