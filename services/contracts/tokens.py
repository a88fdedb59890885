"""Dashboard / realtime JWTs: minted by the CLI and the query service's login, verified
by query and realtime with the same rules."""

from __future__ import annotations

import time

import jwt
import msgspec

from services.contracts.settings import Settings

# Pinned: a token's own header never chooses the algorithm (no `none`, no RS/HS confusion).
ALGORITHM = "HS256"
MAX_LIFETIME_S = 30 * 24 * 3600


class TokenError(Exception):
    """The token is missing, malformed, expired, or not ours."""


class Claims(msgspec.Struct, frozen=True, kw_only=True):
    sub: str
    projects: tuple[int, ...]
    exp: int
    iat: int

    def grants(self, project_id: int) -> bool:
        return project_id in self.projects


def mint_token(settings: Settings, *, subject: str, projects: list[int], lifetime_s: int) -> str:
    if not 0 < lifetime_s <= MAX_LIFETIME_S:
        raise ValueError(f"lifetime must be between 1 s and {MAX_LIFETIME_S} s")
    now = int(time.time())
    payload = {
        "sub": subject,
        "projects": sorted(set(projects)),
        "iat": now,
        "exp": now + lifetime_s,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
    }
    return jwt.encode(payload, settings.require_jwt_secret(), algorithm=ALGORITHM)


def verify_token(settings: Settings, token: str) -> Claims:
    try:
        payload = jwt.decode(
            token,
            settings.require_jwt_secret(),
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
        return msgspec.convert(payload, Claims, strict=True)
    except (jwt.PyJWTError, msgspec.ValidationError) as exc:
        raise TokenError(str(exc)) from None
