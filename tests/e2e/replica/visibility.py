"""How long a worker's commit takes to show on the standby, measured under load."""

from __future__ import annotations

import asyncio
import statistics
import time

import asyncpg
import msgspec

from tests.e2e.traffic import Traffic

VISIBLE_POLL_S = 0.002


class Visibility(msgspec.Struct, frozen=True):
    """Seconds from a report's row committing on the primary to its showing on the standby
    (`lags_s`, polled), and the primary's own figure for the same (`replay_lags_s`, from
    pg_stat_replication: WAL flushed locally to applied on the standby)."""

    lags_s: list[float]
    replay_lags_s: list[float]

    def describe(self) -> str:
        return (
            f"commit on the primary -> visible on the standby, {len(self.lags_s)} reports: "
            f"{_spread(self.lags_s)}; pg_stat_replication.replay_lag: "
            f"{_spread(self.replay_lags_s)}"
        )


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def _spread(values: list[float]) -> str:
    if len(values) < 2:
        return f"{len(values)} sample(s)"
    ms = [v * 1000 for v in values]
    return f"median {statistics.median(ms):.1f} ms, p95 {p95(ms):.1f} ms, max {max(ms):.1f} ms"


SELECT_ROW = "SELECT 1 FROM vitals WHERE project_id = $1 AND metric_id = $2"
# NULL once the standby has applied everything and the primary is idle.
SELECT_REPLAY_LAG = "SELECT extract(epoch FROM replay_lag)::float8 FROM pg_stat_replication"


async def commit_to_standby(
    traffic: Traffic, project_id: int, primary_url: str, standby_url: str, trials: int
) -> Visibility:
    """Posts one beacon at a time through ingest and polls both servers for its first row:
    the time it appears on the primary (a worker committed it) and on the standby."""
    primary = await asyncpg.connect(primary_url)
    standby = await asyncpg.connect(standby_url)
    lags: list[float] = []
    replay_lags: list[float] = []
    try:
        for _ in range(trials):
            beacon = traffic.new_beacon()
            answer = await traffic.post(project_id, beacon)
            assert answer.status == 202, answer
            metric_id = beacon.reports[0].id
            committed = await _first_seen(primary, project_id, metric_id)
            visible = await _first_seen(standby, project_id, metric_id)
            lags.append(max(visible - committed, 0.0))
            replay_lag = await primary.fetchval(SELECT_REPLAY_LAG)
            if replay_lag is not None:
                replay_lags.append(replay_lag)
    finally:
        await primary.close()
        await standby.close()
    return Visibility(lags, replay_lags)


async def _first_seen(connection: asyncpg.Connection, project_id: int, metric_id: str) -> float:
    deadline = time.monotonic() + 30
    while await connection.fetchval(SELECT_ROW, project_id, metric_id) is None:
        assert time.monotonic() < deadline, f"report {metric_id} never appeared"
        await asyncio.sleep(VISIBLE_POLL_S)
    return time.monotonic()
