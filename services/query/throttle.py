"""Failed-login throttling per account and per client address, counted in Redis.

A login first takes a slot from both counters in one Lua script (atomic, so concurrent
attempts cannot all slip under the limit); a success gives the address's slot back and
clears the account's counter, so only failures stay counted. Each counter lives for the
window from its first failure. At the limit the answer is 429 with Retry-After, before
any argon2 verification is spent.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import redis.asyncio
import structlog
from litestar import Request
from redis.exceptions import RedisError

from services.contracts.errors import ApiError
from services.contracts.settings import Settings

log = structlog.get_logger()

# KEYS: account, address. ARGV: account limit, address limit, window in ms.
# Returns 0 when the attempt may go ahead (and counts it), else the ms until it may.
_TAKE = """
local limits = {tonumber(ARGV[1]), tonumber(ARGV[2])}
local wait = 0
for i, key in ipairs(KEYS) do
    if tonumber(redis.call('GET', key) or '0') >= limits[i] then
        local ttl = redis.call('PTTL', key)
        if ttl < 0 then ttl = tonumber(ARGV[3]) end
        wait = math.max(wait, ttl)
    end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
    if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[3]) end
end
return 0
"""
# KEYS: account, address. ARGV[1]: 'clear' deletes the account's counter (a success),
# anything else only gives its slot back. DECR keeps a key's expiry; an expired key is
# not recreated.
_GIVE_BACK = """
if ARGV[1] == 'clear' then redis.call('DEL', KEYS[1]) end
for i, key in ipairs(KEYS) do
    if (i == 2 or ARGV[1] ~= 'clear') and redis.call('EXISTS', key) == 1 then
        redis.call('DECR', key)
    end
end
return 0
"""


def normalised_email(email: str) -> str:
    return email.strip().casefold()


def client_address(request: Request[Any, Any, Any], trusted_proxy_hops: int) -> str:
    """The socket peer, or the address the nearest trusted proxy saw (X-Forwarded-For)."""
    peer = request.client.host if request.client else "unknown"
    if trusted_proxy_hops <= 0:
        return peer
    forwarded = [
        hop.strip()
        for header in request.headers.getall("x-forwarded-for", [])
        for hop in header.split(",")
        if hop.strip()
    ]
    # Each trusted proxy appends what it saw; entries further left are the client's word.
    return forwarded[-trusted_proxy_hops] if len(forwarded) >= trusted_proxy_hops else peer


def _key(kind: str, value: str) -> str:
    # Hashed: the counters do not keep email addresses in Redis, and keys stay short.
    return f"vitals:login:{kind}:" + hashlib.sha256(value.encode()).hexdigest()[:32]


class LoginThrottle:
    def __init__(self, client: redis.asyncio.Redis, settings: Settings) -> None:
        self._client = client
        self._limits = (settings.login_account_failures, settings.login_address_failures)
        self._window_ms = settings.login_window_s * 1000
        self._take = client.register_script(_TAKE)
        self._give_back = client.register_script(_GIVE_BACK)

    @staticmethod
    def keys(email: str, address: str) -> list[str]:
        return [_key("account", normalised_email(email)), _key("address", address)]

    async def take(self, email: str, address: str) -> None:
        """Count an attempt, or raise 429 if the account or the address is at its limit."""
        try:
            wait_ms = int(
                await self._take(self.keys(email, address), [*self._limits, self._window_ms])
            )
        except RedisError as exc:
            # Fail closed: without the counters a flood of guesses would go unchecked.
            log.warning("login_throttle_unavailable", error=str(exc))
            raise ApiError(503, "login_unavailable", "try again shortly",
                           {"Retry-After": "5"}) from None  # fmt: skip
        if wait_ms > 0:
            seconds = max(1, math.ceil(wait_ms / 1000))
            log.info("login_throttled", address=address, retry_after_s=seconds)
            raise ApiError(
                429,
                "too_many_attempts",
                f"too many failed logins; try again in {seconds} s",
                {"Retry-After": str(seconds)},
            )

    async def succeeded(self, email: str, address: str) -> None:
        """A right password: the account starts afresh and the address gets its slot back."""
        await self._return(email, address, "clear")

    async def undecided(self, email: str, address: str) -> None:
        """The attempt was never judged (the server was busy): it counts for neither."""
        await self._return(email, address, "refund")

    async def _return(self, email: str, address: str, how: str) -> None:
        try:
            await self._give_back(self.keys(email, address), [how])
        except RedisError as exc:
            log.warning("login_throttle_unavailable", error=str(exc))
