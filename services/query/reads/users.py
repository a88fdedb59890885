"""Dashboard users: their password hash, token generation and the projects they may see."""

from __future__ import annotations

import msgspec

from services.query.instruments import STATEMENTS
from services.query.reads.histograms import Db

USER_BY_EMAIL = """
SELECT u.id, u.email, u.password_hash, u.token_generation,
       coalesce(array_agg(up.project_id ORDER BY up.project_id)
                FILTER (WHERE up.project_id IS NOT NULL), '{}') AS projects
FROM users AS u
LEFT JOIN user_projects AS up ON up.user_id = u.id
WHERE u.email = $1
GROUP BY u.id
"""


class User(msgspec.Struct, frozen=True):
    id: int
    email: str
    password_hash: str
    token_generation: int  # what its tokens carry as `gen`
    projects: list[int]


async def fetch_user(db: Db, email: str) -> User | None:
    STATEMENTS.labels("user_by_email").inc()
    row = await db.fetchrow(USER_BY_EMAIL, email)
    return None if row is None else User(**dict(row.items()))
