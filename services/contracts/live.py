"""The live-event contract between workers (publishers) and the realtime server."""

from __future__ import annotations

# Both sides must name the same Redis pub/sub channel for socket.io's managers.
SOCKETIO_CHANNEL = "vitals:socketio"


def project_room(project_id: int) -> str:
    return f"project:{project_id}"
