"""Who listens to what: the token, the project rooms it grants, narrowing, expiry.

- The JWT travels in the Socket.IO `auth` payload only (`{"token": "…"}`): query strings end
  up in proxy and access logs. It is verified by the query service's rules
  (`contracts.tokens.verify_token`); missing or bad → the connection is refused with
  `{"message": "missing_token" | "invalid_token"}`.
- A connection joins the room of every project its token grants. The `subscribe` event
  (`{"projects": [ids]}`) replaces that set with any subset of the grant — narrowing for
  the view at hand, or back to other granted projects; a request naming a project outside
  the grant is refused whole (`{"error": "forbidden", …}`) and changes nothing.
- Each connection carries a timer set to its token's `exp`; when it fires, the server
  disconnects the client, which must reconnect with a fresh token.
- A user's token (one with `uid`) must carry the user's current token generation
  (`contracts.generations`): a revoked one is refused with `{"message": "token_revoked"}`,
  and every `token_check_ttl_s` the live connections are checked again, so a revoked
  user's feed stops within that time. If the database cannot be asked, a new user
  connection is refused with `unavailable` (the client retries) and live ones are kept.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
import msgspec
import socketio
import structlog

from services.contracts.generations import TokenGenerations
from services.contracts.live import project_room
from services.contracts.settings import Settings
from services.contracts.tokens import Claims, TokenError, verify_token

SUBSCRIBE_EVENT = "subscribe"

log = structlog.get_logger()
# What asking the database for a generation can raise when it is down or slow.
LOOKUP_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class SubscribeRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    projects: list[int]


@dataclass(slots=True)
class Connection:
    claims: Claims
    projects: frozenset[int]
    expiry: asyncio.TimerHandle


class Sessions:
    def __init__(self, server: socketio.AsyncServer, settings: Settings) -> None:
        self.server = server
        self.settings = settings
        self.connections: dict[str, Connection] = {}
        self.generations = TokenGenerations(settings.token_check_ttl_s)
        self.db: asyncpg.Pool | None = None  # opened by the app's lifespan
        self._disconnecting: set[asyncio.Task[None]] = set()
        server.on("connect", self.connect)
        server.on(SUBSCRIBE_EVENT, self.subscribe)
        server.on("disconnect", self.disconnect)

    async def connect(self, sid: str, environ: dict[str, Any], auth: Any) -> bool:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            log.info("connection_refused", reason="missing_token")
            raise socketio.exceptions.ConnectionRefusedError("missing_token")
        try:
            claims = verify_token(self.settings, token)
        except TokenError as exc:
            log.info("connection_refused", reason="invalid_token", detail=str(exc))
            raise socketio.exceptions.ConnectionRefusedError("invalid_token") from None
        try:
            current = await self._is_current(claims)
        except LOOKUP_ERRORS as exc:
            log.warning("connection_refused", reason="unavailable", detail=str(exc))
            raise socketio.exceptions.ConnectionRefusedError("unavailable") from None
        if not current:
            log.info("connection_refused", reason="token_revoked", subject=claims.sub)
            raise socketio.exceptions.ConnectionRefusedError("token_revoked")
        for project_id in claims.projects:
            await self.server.enter_room(sid, project_room(project_id))
        expires_in = max(0.0, claims.exp - time.time())
        expiry = asyncio.get_running_loop().call_later(expires_in, self._expire, sid)
        self.connections[sid] = Connection(claims, frozenset(claims.projects), expiry)
        log.debug("client_connected", sid=sid, subject=claims.sub, projects=claims.projects)
        return True

    async def subscribe(self, sid: str, data: Any = None) -> dict[str, Any]:
        connection = self.connections.get(sid)
        if connection is None:
            return {"error": "not_connected", "detail": None}
        try:
            request = msgspec.convert(data, SubscribeRequest)
        except msgspec.ValidationError as exc:
            return {"error": "malformed", "detail": str(exc)}
        wanted = frozenset(request.projects)
        refused = wanted.difference(connection.claims.projects)
        if refused:
            log.warning("subscription_refused", sid=sid, projects=sorted(refused))
            return {"error": "forbidden", "detail": {"projects": sorted(refused)}}
        leaving, joining = connection.projects - wanted, wanted - connection.projects
        connection.projects = wanted
        for project_id in leaving:
            await self.server.leave_room(sid, project_room(project_id))
        for project_id in joining:
            await self.server.enter_room(sid, project_room(project_id))
        return {"projects": sorted(wanted)}

    async def disconnect(self, sid: str, reason: str | None = None) -> None:
        connection = self.connections.pop(sid, None)
        if connection is not None:
            connection.expiry.cancel()

    async def _is_current(self, claims: Claims) -> bool:
        if claims.uid is None:  # a project token: bounded by its lifetime only
            return True
        return self.db is not None and await self.generations.is_current(self.db, claims)

    async def watch_revocations(self) -> None:
        while True:
            await asyncio.sleep(self.settings.token_check_ttl_s)
            await self.drop_revoked()

    async def drop_revoked(self) -> None:
        """Disconnects every connection whose user's generation has moved on (or is gone)."""
        user_ids = {c.claims.uid for c in self.connections.values() if c.claims.uid is not None}
        if not user_ids or self.db is None:
            return
        try:
            current = await self.generations.lookup(self.db, user_ids)
        except LOOKUP_ERRORS as exc:
            log.warning("revocation_check_failed", detail=str(exc))
            return
        for sid, connection in list(self.connections.items()):
            claims = connection.claims
            if claims.uid is not None and current.get(claims.uid) != claims.gen:
                log.info("token_revoked", sid=sid, subject=claims.sub)
                self._disconnect_soon(sid)

    def _expire(self, sid: str) -> None:
        connection = self.connections.get(sid)
        if connection is None:
            return
        log.info("token_expired", sid=sid, subject=connection.claims.sub)
        self._disconnect_soon(sid)

    def _disconnect_soon(self, sid: str) -> None:
        task = asyncio.get_running_loop().create_task(self.server.disconnect(sid))
        self._disconnecting.add(task)
        task.add_done_callback(self._disconnecting.discard)
