"""Demo page views posted to a running ingest the way browsers post them, every answer
kept in a ledger.

The beacons come from the demo generator (services/cli/demo.py): five metrics per page
view and, for about a third of them, a later re-report of CLS and INP under the same ids,
posted once the first beacon has been answered, as a page that stays open does.
"""

from __future__ import annotations

import asyncio
import random
import time

import httpx
import msgspec

from services.cli import demo
from services.contracts import wire
from tests.e2e.ledger import Answer, Ledger

# Above ingest's own Redis timeout, so a slow answer is seen as an answer.
CLIENT_TIMEOUT_S = 10.0
BAD_BEACON = b'{"v":1,"reports":[{"name":"FID","value":12}]}'  # the demo's 400


def re_report(beacon: wire.Beacon) -> wire.Beacon:
    """The same page view's CLS and INP reported again, grown, under the same ids."""
    grown = [
        msgspec.structs.replace(
            r, value=round(r.value * 2 + 0.01, 4), delta=round(r.value + 0.01, 4)
        )
        for r in beacon.reports
        if r.name in ("CLS", "INP")
    ]
    return msgspec.structs.replace(beacon, reports=grown)


class Traffic:
    def __init__(self, ingest_url: str, keys: dict[int, str], *, seed: int = 1) -> None:
        self.url = ingest_url + "/v1/beacon"
        self.keys = keys  # project id → ingest key
        self.rng = random.Random(seed)
        self.ledger = Ledger()
        self.client = httpx.AsyncClient(timeout=CLIENT_TIMEOUT_S)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def page_views(self, count: int, *, concurrency: int = 8) -> None:
        """Exactly `count` page views (re-reports included), `concurrency` at a time."""
        remaining = iter(range(count))

        async def lane() -> None:
            for _ in remaining:
                await self.page_view()

        await asyncio.gather(*(lane() for _ in range(concurrency)))

    async def until(
        self, stop: asyncio.Event, *, concurrency: int = 4, pause_s: float = 0.01
    ) -> None:
        """Page views until `stop` is set."""

        async def lane() -> None:
            while not stop.is_set():
                await self.page_view()
                await asyncio.sleep(pause_s)

        await asyncio.gather(*(lane() for _ in range(concurrency)))

    async def page_view(self, project_id: int | None = None) -> None:
        project_id = project_id if project_id is not None else self.rng.choice(sorted(self.keys))
        beacon, later = demo.page_view(self.rng, time.time() * 1000)
        headers = {"content-type": "text/plain", "user-agent": self._user_agent()}
        await self.post(project_id, beacon, headers)
        if later is not None:
            await self.post(project_id, later, headers)

    def new_beacon(self) -> wire.Beacon:
        """A fresh page view's first beacon (all five metrics), not yet sent."""
        return demo.page_view(self.rng, time.time() * 1000)[0]

    async def post(
        self,
        project_id: int,
        beacon: wire.Beacon,
        headers: dict[str, str] | None = None,
        *,
        record: bool = True,
    ) -> Answer:
        """Posts one beacon; its answer goes in the ledger unless `record` is false."""
        headers = headers or {"content-type": "text/plain", "user-agent": self._user_agent()}
        answer = await self._post(self.keys[project_id], wire.encode(beacon), headers)
        if record:
            self.ledger.record(project_id, beacon, answer)
        return answer

    async def bad_beacon(self, project_id: int) -> Answer:
        headers = {"content-type": "text/plain", "user-agent": self._user_agent()}
        answer = await self._post(self.keys[project_id], BAD_BEACON, headers)
        self.ledger.answers.append(answer)
        return answer

    async def _post(self, key: str, body: bytes, headers: dict[str, str]) -> Answer:
        try:
            response = await self.client.post(
                self.url, params={"key": key}, content=body, headers=headers
            )
        except httpx.HTTPError:
            return Answer(0)
        error = ""
        if response.status_code >= 400:
            try:
                error = str(response.json().get("error", ""))
            except ValueError:
                error = response.text[:200]
        return Answer(response.status_code, error, response.headers.get("retry-after"))

    def _user_agent(self) -> str:
        agents = demo.USER_AGENTS
        return self.rng.choices([a for a, _ in agents], weights=[w for _, w in agents])[0]
