"""The people of the admin API tests: an instance owner, an admin and a viewer of one
project, as rows in the database and the login tokens the query service would mint."""

from __future__ import annotations

import time
from typing import Any

import asyncpg
import jwt
import msgspec

from services.contracts.settings import Settings
from services.contracts.tokens import ALGORITHM, Role, mint_token
from tests.admin.alerting import make_project


class World(msgspec.Struct, frozen=True):
    shop: int  # project A
    blog: int  # project B: nobody below but the owner may touch it
    owner: dict[str, str]
    admin: dict[str, str]  # admin of shop only
    viewer: dict[str, str]  # viewer of shop only
    admin_id: int
    viewer_id: int
    owner_id: int


async def make_person(
    db: asyncpg.Connection, email: str, grants: dict[int, Role], *, owner: bool = False
) -> int:
    user_id: int = await db.fetchval(
        "INSERT INTO users (email, password_hash, is_owner) VALUES ($1, 'x', $2) RETURNING id",
        email, owner,
    )  # fmt: skip
    for project_id, role in grants.items():
        await db.execute(
            "INSERT INTO user_projects (user_id, project_id, role) VALUES ($1, $2, $3)",
            user_id, project_id, role,
        )  # fmt: skip
    return user_id


def login_headers(
    settings: Settings, user_id: int, grants: dict[int, Role], *, owner: bool = False,
    generation: int = 0,
) -> dict[str, str]:  # fmt: skip
    token = mint_token(
        settings, subject=f"user{user_id}@example.com", projects=list(grants), lifetime_s=600,
        user=(user_id, generation), roles=grants, owner=owner,
    )  # fmt: skip
    return {"Authorization": f"Bearer {token}"}


async def make_world(db: asyncpg.Connection, settings: Settings) -> World:
    shop, blog = await make_project(db, "shop"), await make_project(db, "blog")
    owner_id = await make_person(db, "owner@example.com", {}, owner=True)
    admin_id = await make_person(db, "admin@example.com", {shop: "admin"})
    viewer_id = await make_person(db, "viewer@example.com", {shop: "viewer"})
    return World(
        shop, blog,
        login_headers(settings, owner_id, {}, owner=True),
        login_headers(settings, admin_id, {shop: "admin"}),
        login_headers(settings, viewer_id, {shop: "viewer"}),
        admin_id, viewer_id, owner_id,
    )  # fmt: skip


def forged_headers(settings: Settings, **claims: Any) -> dict[str, str]:
    """A token signed with another secret, claiming whatever it likes."""
    now = int(time.time())
    payload = {"sub": "mallory", "projects": [1, 2], "iat": now, "exp": now + 600,
               "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "owner": True,
               "uid": 1, "gen": 0, **claims}  # fmt: skip
    token = jwt.encode(payload, "another-secret-that-is-long-enough-32b!", algorithm=ALGORITHM)
    return {"Authorization": f"Bearer {token}"}


def expired_headers(settings: Settings, user_id: int) -> dict[str, str]:
    """Our own signature, past its `exp`."""
    now = int(time.time())
    payload = {"sub": "owner", "projects": [], "iat": now - 700, "exp": now - 100,
               "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "owner": True,
               "uid": user_id, "gen": 0}  # fmt: skip
    token = jwt.encode(payload, settings.require_jwt_secret(), algorithm=ALGORITHM)
    return {"Authorization": f"Bearer {token}"}
