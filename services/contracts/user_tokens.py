"""What a user may do now, read from the database, and the token that says so: one
reading for the query service's login and the admin service's token refresh, so both
mint the same claims (services/contracts/tokens.py).

An owner is granted every live project; anyone else their user_projects rows (a deleted
project's rows are removed when it is deleted, so none of them is left here).
"""

from __future__ import annotations

import asyncpg
import msgspec

from services.contracts.database import Connection
from services.contracts.settings import Settings
from services.contracts.tokens import Role, mint_token

USER_GRANTS = """
SELECT u.id, u.email, u.token_generation, u.is_owner,
       coalesce(array_agg(up.project_id ORDER BY up.project_id)
                FILTER (WHERE up.project_id IS NOT NULL), '{}') AS projects,
       coalesce(array_agg(up.role ORDER BY up.project_id)
                FILTER (WHERE up.project_id IS NOT NULL), '{}') AS roles
FROM users AS u
LEFT JOIN user_projects AS up ON up.user_id = u.id
WHERE u.id = $1
GROUP BY u.id
"""
LIVE_PROJECTS = "SELECT id FROM projects WHERE deleted_at IS NULL ORDER BY id"


class UserGrants(msgspec.Struct, frozen=True):
    id: int
    email: str
    generation: int
    owner: bool
    projects: list[int]  # for an owner, every live project
    roles: dict[int, Role]  # the user's own grants (an owner is admin everywhere anyway)


async def user_grants(connection: Connection | asyncpg.Pool, user_id: int) -> UserGrants | None:
    row = await connection.fetchrow(USER_GRANTS, user_id)
    if row is None:
        return None
    roles: dict[int, Role] = dict(zip(row["projects"], row["roles"], strict=True))
    projects = sorted(roles)
    if row["is_owner"]:
        projects = [r["id"] for r in await connection.fetch(LIVE_PROJECTS)]
        live = set(projects)
        roles = {p: role for p, role in roles.items() if p in live}
    return UserGrants(
        row["id"], row["email"], row["token_generation"], row["is_owner"], projects, roles
    )


def mint_user_token(settings: Settings, grants: UserGrants, lifetime_s: int) -> str:
    """A login token for the user as they are now; revocable by their generation."""
    return mint_token(
        settings,
        subject=grants.email,
        projects=grants.projects,
        lifetime_s=lifetime_s,
        user=(grants.id, grants.generation),
        roles=grants.roles,
        owner=grants.owner,
    )
