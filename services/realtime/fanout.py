"""A Socket.IO client manager that writes a room's sockets in turn, on this instance only.

python-socketio's AsyncManager encodes a room emit once but then starts one task per
recipient and waits on all of them; for a 1,000-socket room those task creations cost
more than the queueing they wrap (engine.io's `send` only puts the packet on the
socket's queue, and that socket's own writer task does the I/O). Sending in turn keeps
one encode, drops a task per recipient, and keeps each socket's packets in order.
Anything else (callbacks, skip_sid, several arguments) takes the library's path.
"""

from __future__ import annotations

from typing import Any

import engineio.packet  # type: ignore[import-untyped]  # untyped, like socketio
import socketio
from socketio import packet


class LocalFanoutManager(socketio.AsyncManager):  # type: ignore[misc]
    async def emit(  # noqa: PLR0917 - the positional signature python-socketio calls
        self,
        event: str,
        data: Any,
        namespace: str,
        room: str | None = None,
        skip_sid: str | None = None,
        callback: Any = None,
        to: str | None = None,
        **kwargs: Any,
    ) -> None:
        room = to or room
        if callback is not None or skip_sid is not None or isinstance(data, tuple):
            await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs
            )
            return
        if namespace not in self.rooms:
            return
        encoded = self.server.packet_class(
            packet.EVENT, namespace=namespace, data=[event] if data is None else [event, data]
        ).encode()
        if isinstance(encoded, list):  # binary attachments: several packets per message
            await super().emit(event, data, namespace, room=room, **kwargs)
            return
        message = engineio.packet.Packet(engineio.packet.MESSAGE, encoded)
        send = self.server.eio.send_packet
        for _, eio_sid in list(self.get_participants(namespace, room)):
            await send(eio_sid, message)
