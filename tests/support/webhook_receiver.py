"""A real webhook receiver for the alert delivery tests: an aiohttp server on 127.0.0.1
that keeps every request it gets and answers as the test scripts it (a status, a delay, a
hang until released), and can be stopped and started again on the same port."""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from typing import Any

import msgspec
from aiohttp import web

from services.contracts.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from tests.support.processes import free_port


class Received(msgspec.Struct, frozen=True):
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic()

    @property
    def key(self) -> str:
        return self.headers["Idempotency-Key"]

    def json(self) -> Any:
        return json.loads(self.body)

    def signed_by(self, secret: str) -> bool:
        return verify_signature(
            secret, self.headers[TIMESTAMP_HEADER], self.body, self.headers[SIGNATURE_HEADER]
        )


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = {}
    delay_s: float = 0.0
    hang: bool = False  # until `release()`


class Receiver:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.requests: list[Received] = []
        self.script: deque[Answer] = deque()
        self.default = Answer()
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None

    def answer(self, *answers: Answer, then: Answer | None = None) -> None:
        """Answer the next requests with these, and every later one with `then`."""
        self.script.extend(answers)
        if then is not None:
            self.default = then

    def release(self) -> None:
        self._released.set()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(Received(request.path, dict(request.headers), body, time.monotonic()))
        answer = self.script.popleft() if self.script else self.default
        if answer.hang:
            await self._released.wait()
        if answer.delay_s:
            await asyncio.sleep(answer.delay_s)
        return web.Response(status=answer.status, text=answer.body, headers=answer.headers)

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        self.release()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def wait_for(self, count: int, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.requests)} requests, not {count}")
            await asyncio.sleep(0.02)
