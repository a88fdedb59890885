"""Dashboard / realtime JWTs: minted by the CLI and the query service's login, verified
by query and realtime with the same rules.

Two kinds, one shape. A login token names its user (`uid`) and the user's token
generation at minting (`gen`): changing the password or `vitals user revoke` bumps the
generation, which ends every token minted before (`services/contracts/generations.py`
does that check). A token from `vitals token --project` names no user, so nothing can
revoke it one by one; like every token it is bounded by `jwt_max_lifetime_s`, and
rotating VITALS_JWT_SECRET ends them all.

Roles: `roles` maps each granted project (its id, as a JSON object key) to the user's
role there, `admin` or `viewer` (user_projects.role). A project the token grants but
`roles` does not name is `viewer`'s: tokens minted before roles existed read, never write.
Demoting a user bumps their token generation (`vitals user grant`), so an admin claim
ends with the role.

Owners: `owner: true` (users.is_owner, `vitals user create --owner`) makes the token's
holder an admin of every project, those made after it was minted included, and lets them
create projects and users. Only a user's token may claim it (a generation ends it).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Annotated, Literal

import jwt
import msgspec

from services.contracts.settings import Settings

# Pinned: a token's own header never chooses the algorithm (no `none`, no RS/HS confusion).
ALGORITHM = "HS256"
# The CLI may mint on another host than the one verifying: tolerate that much clock skew
# in `iat`, never in `exp`.
IAT_SKEW_S = 30
# users.id and users.token_generation are PostgreSQL integers: a larger claim is no user.
PgInt = Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]
Role = Literal["admin", "viewer"]
ROLES: tuple[Role, ...] = ("admin", "viewer")


class TokenError(Exception):
    """The token is missing, malformed, expired, too long-lived, or not ours."""


class Claims(msgspec.Struct, frozen=True, kw_only=True):
    sub: str
    projects: tuple[int, ...]
    exp: int
    iat: int
    uid: PgInt | None = None  # None: a project token from `vitals token`, not a user's
    gen: PgInt | None = None
    roles: dict[str, Role] = msgspec.field(default_factory=dict)  # {"<project id>": role}
    owner: bool = False

    def grants(self, project_id: int) -> bool:
        return self.owner or project_id in self.projects

    def role(self, project_id: int) -> Role | None:
        """The holder's role in the project; None when the token does not grant it."""
        if not self.grants(project_id):
            return None
        if self.owner:
            return "admin"
        return self.roles.get(str(project_id), "viewer")

    def administers(self, project_id: int) -> bool:
        return self.role(project_id) == "admin"


def check_lifetime(settings: Settings, lifetime_s: int) -> None:
    cap = settings.jwt_max_lifetime_s
    if not 0 < lifetime_s <= cap:
        raise ValueError(
            f"a token lifetime must be between 1 s and {cap} s (VITALS_JWT_MAX_LIFETIME_S);"
            f" got {lifetime_s} s"
        )


def mint_token(
    settings: Settings,
    *,
    subject: str,
    projects: list[int],
    lifetime_s: int,
    user: tuple[int, int] | None = None,
    roles: Mapping[int, Role] | None = None,
    owner: bool = False,
) -> str:
    """`user` is (id, token generation) for a user's token; None for a project token.
    `roles`: the role per project (a project left out is `viewer`); `owner`: see above."""
    check_lifetime(settings, lifetime_s)
    if owner and user is None:
        raise ValueError("only a user's token may claim owner")
    roles = roles or {}
    if not set(roles) <= set(projects) or not set(roles.values()) <= set(ROLES):
        raise ValueError("roles name only granted projects, as admin or viewer")
    now = int(time.time())
    payload: dict[str, object] = {
        "sub": subject,
        "projects": sorted(set(projects)),
        "iat": now,
        "exp": now + lifetime_s,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
    }
    if user is not None:
        payload["uid"], payload["gen"] = user
    if roles:
        payload["roles"] = {str(p): roles[p] for p in sorted(roles)}
    if owner:
        payload["owner"] = True
    return jwt.encode(payload, settings.require_jwt_secret(), algorithm=ALGORITHM)


def verify_token(settings: Settings, token: str) -> Claims:
    """The token's claims if we signed it and it is within its lifetime and the cap.

    Whether its user's generation is still current is the caller's second step
    (`TokenGenerations.is_current`): it needs a lookup, this needs none.
    """
    try:
        payload = jwt.decode(
            token,
            settings.require_jwt_secret(),
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            # iat is checked below, with a skew allowance pyjwt would also grant to exp.
            options={"require": ["exp", "iat", "iss", "aud", "sub"], "verify_iat": False},
        )
        claims = msgspec.convert(payload, Claims, strict=True)
    except (jwt.PyJWTError, msgspec.ValidationError) as exc:
        raise TokenError(str(exc)) from None
    _check_bounds(settings, claims, time.time())
    return claims


def _check_bounds(settings: Settings, claims: Claims, now: float) -> None:
    cap = settings.jwt_max_lifetime_s
    if claims.exp - claims.iat > cap:
        raise TokenError(f"the token's lifetime exceeds the maximum of {cap} s")
    if claims.iat > now + IAT_SKEW_S:
        raise TokenError("the token was issued in the future (iat)")
    if now - claims.iat > cap:
        raise TokenError(f"the token is older than the maximum lifetime of {cap} s")
    if (claims.uid is None) != (claims.gen is None):
        raise TokenError("a user's token carries both uid and gen")
    if claims.owner and claims.uid is None:
        raise TokenError("only a user's token may claim owner")
    if not set(claims.roles) <= {str(p) for p in claims.projects}:
        raise TokenError("the token's roles name a project it does not grant")
