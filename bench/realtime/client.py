"""A minimal Socket.IO v5 / Engine.IO v4 websocket client, a thousand of them per process.

A full client (python-socketio's, or even aiohttp's websocket) spends tens of microseconds
per received message in Python; with a thousand sockets on the same two cores as the
server, the benchmark would mostly measure itself. This one is an asyncio Protocol that
parses the server's unmasked frames in place and speaks only what the dashboard's socket
does: upgrade, CONNECT with the token in the auth payload, answer pings, receive EVENTs.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import time
from collections.abc import Callable
from typing import Any, cast

import msgspec

Sink = Callable[[float, str, Any], None]

# Engine.IO packet types, then Socket.IO's inside Engine.IO MESSAGE ("4") packets.
EIO_PING, EIO_PONG = "2", "3"
SIO_CONNECT, SIO_EVENT, SIO_CONNECT_ERROR = "40", "42", "44"
OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA
PATH = "/socket.io/?EIO=4&transport=websocket"


class ConnectRefused(Exception):
    pass


class BenchClient(asyncio.Protocol):
    def __init__(self, token: str, sink: Sink) -> None:
        self.token = token
        self.sink = sink
        self.connected: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._upgraded = False

    @classmethod
    async def open(cls, host: str, port: int, token: str, sink: Sink) -> BenchClient:
        _, client = await asyncio.get_running_loop().create_connection(
            lambda: cls(token, sink), host, port
        )
        await asyncio.wait_for(client.connected, 10)
        return client

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = transport = cast(asyncio.Transport, transport)
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.connected.done():
            self.connected.set_exception(ConnectRefused(f"connection lost: {exc}"))

    def data_received(self, data: bytes) -> None:
        received = time.perf_counter()
        buffer = self._buffer
        buffer += data
        if not self._upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buffer.startswith(b"HTTP/1.1 101"):
                self.connected.set_exception(ConnectRefused(bytes(buffer[:end]).decode()))
                return
            del buffer[: end + 4]
            self._upgraded = True
        while len(buffer) >= 2:
            length, offset = buffer[1] & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    return
                (length,), offset = struct.unpack_from("!H", buffer, 2), 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                (length,), offset = struct.unpack_from("!Q", buffer, 2), 10
            if len(buffer) < offset + length:
                return
            opcode, payload = buffer[0] & 0x0F, bytes(buffer[offset : offset + length])
            del buffer[: offset + length]
            self._frame(opcode, payload, received)

    def _frame(self, opcode: int, payload: bytes, received: float) -> None:
        if opcode == OP_PING:
            self._send(OP_PONG, payload)
        elif opcode == OP_TEXT:
            self._packet(payload.decode(), received)

    def _packet(self, text: str, received: float) -> None:
        if text.startswith(SIO_EVENT):
            name, data = msgspec.json.decode(text[2:])
            self.sink(received, name, data)
        elif text == EIO_PING:
            self._send(OP_TEXT, EIO_PONG.encode())
        elif text.startswith("0"):  # Engine.IO OPEN: now the Socket.IO CONNECT with the token
            auth = msgspec.json.encode({"token": self.token}).decode()
            self._send(OP_TEXT, (SIO_CONNECT + auth).encode())
        elif text.startswith(SIO_CONNECT):
            self.connected.set_result(None)
        elif text.startswith(SIO_CONNECT_ERROR):
            self.connected.set_exception(ConnectRefused(text))

    def _send(self, opcode: int, payload: bytes) -> None:
        # Client frames must be masked (RFC 6455 §5.3); these are the few small ones we send.
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        length = len(payload)
        header = (
            struct.pack("!BB", 0x80 | opcode, 0x80 | length)
            if length < 126
            else (struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length))
        )
        assert self.transport is not None
        self.transport.write(header + mask + masked)
