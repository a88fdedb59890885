"""The page dimension, as far as the read path needs it."""

from __future__ import annotations

from services.query.instruments import STATEMENTS
from services.query.reads.histograms import Db

HOSTS = "SELECT DISTINCT host FROM pages WHERE project_id = $1 ORDER BY host"


async def fetch_hosts(db: Db, project_id: int) -> list[str]:
    STATEMENTS.labels("hosts").inc()
    return [row["host"] for row in await db.fetch(HOSTS, project_id)]
