"""A minimal Socket.IO v5 / Engine.IO v4 websocket client, for a thousand of them per process.

python-socketio's AsyncClient costs a session, several tasks and a JSON pass per client;
a thousand of them would measure the benchmark's own overhead. This client speaks just
what the dashboard's socket does: open, CONNECT with the token in the auth payload, answer
pings, receive EVENT packets.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import msgspec

# Engine.IO packet types (first character) and Socket.IO types (second, inside "4" messages).
EIO_OPEN, EIO_PING, EIO_PONG, EIO_MESSAGE = "0", "2", "3", "4"
SIO_CONNECT, SIO_EVENT, SIO_CONNECT_ERROR = "40", "42", "44"

Sink = Callable[[float, str, Any], None]


class ConnectRefused(Exception):
    pass


class BenchClient:
    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, token: str, sink: Sink, deflate: int
    ) -> None:
        self.session = session
        self.url = base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.token = token
        self.sink = sink
        self.deflate = deflate
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        ws = self.ws = await self.session.ws_connect(
            self.url, autoping=True, max_msg_size=0, compress=self.deflate
        )
        opened = await ws.receive_str()
        if not opened.startswith(EIO_OPEN):
            raise ConnectRefused(opened)
        await ws.send_str(SIO_CONNECT + msgspec.json.encode({"token": self.token}).decode())
        answer = await ws.receive_str()
        if not answer.startswith(SIO_CONNECT):
            raise ConnectRefused(answer)
        self._reader = asyncio.get_running_loop().create_task(self._read(ws))

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self.ws is not None:
            await self.ws.close()

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        decode = msgspec.json.decode
        async for message in ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            data: str = message.data
            if data.startswith(SIO_EVENT):
                received = time.perf_counter()
                name, payload = decode(data[2:])
                self.sink(received, name, payload)
            elif data == EIO_PING:
                await ws.send_str(EIO_PONG)
