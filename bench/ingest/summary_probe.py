"""The read path while the write path is loaded: the query service's summary of the project
being written, asked afresh (`Cache-Control: no-cache`) once a second for the last day as
the dashboard asks (`range=24h`: whole hours, the current one included).

It is a probe, not part of the system under test: its CPU is reported apart. The summary
reads the rollups the workers are writing at that moment, so this is what a dashboard
open during a traffic peak would see. (An absolute window with ragged edges reads them
from raw rows instead: at 10,000 reports/s the current hour's are millions.)
"""

from __future__ import annotations

import asyncio
import time

import httpx

from services.contracts.settings import Settings
from services.contracts.tokens import mint_token
from tests.support.processes import ServiceProcess, uvicorn_service

EVERY_S = 1.0


class SummaryProbe:
    def __init__(self, settings: Settings, project_id: int) -> None:
        self._settings = settings
        self._project_id = project_id
        self._service: ServiceProcess | None = None
        self._task: asyncio.Task[None] | None = None
        self.samples: list[tuple[float, float]] = []  # (wall time asked, seconds to answer)
        self.failures = 0

    @property
    def pid(self) -> int:
        assert self._service is not None and self._service.process is not None
        return self._service.process.pid

    def start(self) -> None:
        self._service = uvicorn_service(
            "bench-query", "services.query.app:create_app", self._settings
        )
        self._service.wait_healthy(60)
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._service is not None:
            self._service.stop()

    async def _run(self) -> None:
        assert self._service is not None
        token = mint_token(
            self._settings, subject="bench", projects=[self._project_id], lifetime_s=7200
        )
        headers = {"Authorization": f"Bearer {token}", "Cache-Control": "no-cache"}
        path = f"/v1/projects/{self._project_id}/summary"
        async with httpx.AsyncClient(
            base_url=self._service.url, headers=headers, timeout=30
        ) as http:
            while True:
                asked, started = time.time(), time.perf_counter()
                try:
                    (await http.get(path, params={"range": "24h"})).raise_for_status()
                    self.samples.append((asked, time.perf_counter() - started))
                except httpx.HTTPError:
                    self.failures += 1
                await asyncio.sleep(EVERY_S)
