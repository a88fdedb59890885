"""One-time set-password links. There is no mail server: the admin who invites someone
(or an owner resetting a password) gets the link in the answer and passes it on.

The token is 256 random bits in the link's fragment (`#token=…`, which browsers do not
send to servers or in Referer headers); only its SHA-256 is stored. A link works once,
for LINK_LIFETIME, and a newer link for the same user voids the older unused ones.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import msgspec

from services.contracts.database import Connection
from services.contracts.settings import Settings

PREFIX = "vsp_"
LINK_LIFETIME = timedelta(hours=24)
MAX_TOKEN_LENGTH = 100  # ours are 47 characters

VOID_UNUSED = "DELETE FROM password_links WHERE user_id = $1 AND used_at IS NULL"
INSERT_LINK = """
INSERT INTO password_links (user_id, token_sha256, created_by, expires_at)
VALUES ($1, $2, $3, now() + $4::interval)
RETURNING expires_at
"""


class PasswordLink(msgspec.Struct, frozen=True):
    url: str  # the dashboard's set-password page, the token in its fragment
    token: str  # the same token, for API clients: POST /v1/admin/password
    expires_at: datetime


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(token: str) -> bool:
    return token.startswith(PREFIX) and len(token) <= MAX_TOKEN_LENGTH and token.isascii()


async def issue_link(
    connection: Connection, settings: Settings, user_id: int, created_by: int | None
) -> PasswordLink:
    """Run in the caller's transaction, with the user's row written."""
    token = PREFIX + secrets.token_urlsafe(32)
    await connection.execute(VOID_UNUSED, user_id)
    expires_at: datetime = await connection.fetchval(
        INSERT_LINK, user_id, token_sha256(token), created_by, LINK_LIFETIME
    )
    url = f"{settings.dashboard_url.rstrip('/')}/?view=set-password#token={token}"
    return PasswordLink(url, token, expires_at)
