"""How far behind its primary the query service's database is, when it is a standby.

The query service may read from a streaming replica (VITALS_QUERY_DATABASE_URL). Its
answers are then as old as the replica's replay position, so /ready answers 503 once
replay is more than `query_max_replica_lag_s` behind: a load balancer then sends the
dashboards to a fresher replica or the primary instead of showing old numbers.

The lag is 0 while the standby has replayed all the WAL it received: an idle primary
sends nothing, and the age of the last replayed transaction would then be a false lag
of however long the site has been quiet. Otherwise it is the age of the last replayed
commit (the primary's clock against the standby's: keep them synchronised).
"""

from __future__ import annotations

import asyncio

import msgspec
from litestar.datastructures import State

from services.contracts.database import Connection, Pool
from services.contracts.health import CHECK_TIMEOUT_S, NotReady
from services.query.instruments import REPLICA_LAG, REPLICA_RECEIVING

# pg_last_wal_receive_lsn() is NULL on a standby that never streamed (one restoring from
# an archive): it counts as behind, with the age of its last replayed commit as its lag.
# pg_last_xact_replay_timestamp() is NULL until the standby replays its first commit.
# pg_stat_wal_receiver shows its pid (nothing else) to a role without pg_read_all_stats,
# and has a row only while a WAL receiver is connected to the primary.
REPLAY_LAG = """
SELECT pg_is_in_recovery() AS standby,
       coalesce(pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn(), false) AS caught_up,
       extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS commit_age_s,
       EXISTS (SELECT FROM pg_stat_wal_receiver WHERE pid IS NOT NULL) AS receiving
"""
# A primary that wakes up after a quiet hour sends WAL the standby replays within
# milliseconds; read in between, the lag looks like an hour. A lag over the limit is read
# again after this pause, and only a second reading over the limit counts.
RECHECK_AFTER_S = 0.2


class Replay(msgspec.Struct, frozen=True):
    standby: bool
    # Seconds behind the primary; None: behind, and no commit replayed since it started.
    lag_s: float | None
    # A WAL receiver is connected to the primary. Not part of readiness: a standby that has
    # lost its primary still answers with all it received, which is what keeps dashboards
    # up through a primary's outage; /metrics shows it for an alert instead.
    receiving: bool = False

    def over(self, limit_s: float) -> bool:
        return self.standby and (self.lag_s is None or self.lag_s > limit_s)


async def is_standby(connection: Connection) -> bool:
    standby: bool = await connection.fetchval("SELECT pg_is_in_recovery()")
    return standby


async def fetch_replay(connection: Connection) -> Replay:
    row = await connection.fetchrow(REPLAY_LAG)
    assert row is not None
    if not row["standby"]:
        return Replay(standby=False, lag_s=0.0)
    age = row["commit_age_s"]
    lag_s = 0.0 if row["caught_up"] else None if age is None else max(age, 0.0)
    return Replay(standby=True, lag_s=lag_s, receiving=row["receiving"])


async def measure_replay(pool: Pool, limit_s: float) -> Replay:
    """The replay lag, read twice when the first reading is over the limit; kept on /metrics."""
    async with pool.acquire(timeout=CHECK_TIMEOUT_S) as connection:
        replay = await fetch_replay(connection)
        if replay.over(limit_s):
            await asyncio.sleep(RECHECK_AFTER_S)
            replay = await fetch_replay(connection)
    REPLICA_LAG.set(float("nan") if replay.lag_s is None else replay.lag_s)
    REPLICA_RECEIVING.set(float(replay.receiving) if replay.standby else float("nan"))
    return replay


async def check_replica_lag(state: State) -> None:
    """Not ready while the standby is further behind than the limit (no-op on a primary)."""
    limit_s: float = state.settings.query_max_replica_lag_s
    replay = await measure_replay(state.db, limit_s)
    if not replay.over(limit_s):
        return
    if replay.lag_s is None:
        reason = "the replica is behind its primary and has replayed no commit since it started"
    else:
        reason = f"the replica is {replay.lag_s:.1f} s behind its primary (limit {limit_s:g} s)"
    raise NotReady(reason, lag_s=replay.lag_s, max_lag_s=limit_s)
