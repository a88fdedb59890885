"""Helpers of the alert API tests: projects, users with a role, and their tokens."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.contracts.settings import Settings
from services.contracts.tokens import Role, mint_token

# A public address (example.com's): no DNS needed, and not refused as private.
PUBLIC_URL = "https://93.184.215.14/hooks/T000/B000/XXXX"
THRESHOLD: dict[str, Any] = {
    "kind": "threshold", "name": "LCP on mobile checkout", "metric": "LCP",
    "comparison": "above", "threshold": 4000, "window_minutes": 30, "min_samples": 50,
    "route": "/checkout", "device": "mobile", "country": "DE", "browser": "Chrome",
}  # fmt: skip
REGRESSION: dict[str, Any] = {
    "kind": "regression", "name": "a release regressed", "metrics": ["LCP", "INP"],
    "devices": ["mobile"],
}  # fmt: skip
SILENCE: dict[str, Any] = {"kind": "silence", "name": "beacons stopped", "silence_minutes": 20}


async def make_project(db: asyncpg.Connection, slug: str) -> int:
    project_id: int = await db.fetchval(
        "INSERT INTO projects (slug, name) VALUES ($1, $1) RETURNING id", slug
    )
    return project_id


async def make_user(db: asyncpg.Connection, email: str, grants: dict[int, Role]) -> int:
    """A user with these projects and roles (the password is never used: tokens are minted)."""
    user_id: int = await db.fetchval(
        "INSERT INTO users (email, password_hash) VALUES ($1, 'x') RETURNING id", email
    )
    for project_id, role in grants.items():
        await db.execute(
            "INSERT INTO user_projects (user_id, project_id, role) VALUES ($1, $2, $3)",
            user_id, project_id, role,
        )  # fmt: skip
    return user_id


def user_headers(
    settings: Settings, user_id: int, grants: dict[int, Role], generation: int = 0
) -> dict[str, str]:
    """A login token as the query service mints it for this user."""
    token = mint_token(
        settings, subject=f"user{user_id}@example.com", projects=list(grants), lifetime_s=600,
        user=(user_id, generation), roles=grants,
    )  # fmt: skip
    return {"Authorization": f"Bearer {token}"}


def project_headers(
    settings: Settings, grants: dict[int, Role] | None = None, projects: list[int] | None = None
) -> dict[str, str]:
    """A project token (`vitals token --project … --role …`): no user."""
    grants = grants or {}
    token = mint_token(
        settings, subject="cli", projects=projects or list(grants), lifetime_s=600, roles=grants
    )
    return {"Authorization": f"Bearer {token}"}
