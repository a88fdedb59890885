"""Deploy tokens: a project's credential for its CI, able to record deploys and to ask
whether a release passed its budgets, nothing else (migrations/0015_deploy_tokens.sql).

Made by `vitals deploy-token create`, shown once, kept as SHA-256 only: like ingest keys
they are 256-bit random, so a fast hash is enough and a lookup is one index probe.
"""

from __future__ import annotations

import hashlib
import secrets

import asyncpg
import msgspec

PREFIX = "vdt_"  # what every deploy token starts with
HINT_LENGTH = len(PREFIX) + 6
MAX_TOKEN_LENGTH = 100  # ours are 47 characters; anything much longer is not one

# The project a live token belongs to; a revoked or unknown one gives no row.
SELECT_LIVE = """
SELECT id, project_id FROM deploy_tokens WHERE token_sha256 = $1 AND revoked_at IS NULL
"""


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_hint(token: str) -> str:
    """Enough of a token to recognise it in a list without revealing it."""
    return token[:HINT_LENGTH]


def looks_like_token(token: str) -> bool:
    return token.startswith(PREFIX) and len(token) <= MAX_TOKEN_LENGTH and token.isascii()


class LiveToken(msgspec.Struct, frozen=True):
    id: int
    project_id: int


async def live_token(db: asyncpg.Pool | asyncpg.Connection, token: str) -> LiveToken | None:
    """The live deploy token `token` is, or None (unknown, revoked, or not one of ours)."""
    if not looks_like_token(token):
        return None
    row = await db.fetchrow(SELECT_LIVE, token_sha256(token))
    return None if row is None else LiveToken(row["id"], row["project_id"])
