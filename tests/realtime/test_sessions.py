"""Who may connect, which projects they hear, narrowing, expiry, and browser origins."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
import redis
import socketio

from services.contracts.live import publish_batch
from services.contracts.settings import Settings, SettingsError
from services.realtime.app import create_app
from tests.realtime.conftest import DASHBOARD_ORIGIN
from tests.realtime.live import LiveClient, make_batch
from tests.support.processes import ServiceProcess


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(settings: Settings, **override: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": "mallory",
        "projects": [1],
        "iat": now,
        "exp": now + 600,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
    }
    return {**claims, **override}


def _hs256(settings: Settings, secret: str | None = None, **override: Any) -> str:
    return jwt.encode(
        _claims(settings, **override), secret or settings.jwt_secret or "", algorithm="HS256"
    )


BAD_TOKENS: dict[str, Callable[[Settings], Any]] = {
    "no auth payload": lambda s: None,
    "auth without a token": lambda s: {"user": "mallory"},
    "token not a string": lambda s: {"token": 42},
    "malformed token": lambda s: {"token": "not.a.jwt"},
    "expired token": lambda s: {
        "token": _hs256(s, exp=int(time.time()) - 5, iat=int(time.time()) - 60)
    },
    "alg none": lambda s: {"token": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(s))}."},
    "signed with another key": lambda s: {
        "token": _hs256(s, secret="another-secret-that-is-long-enough-for-hs256")
    },
    "wrong audience": lambda s: {"token": _hs256(s, aud="someone-else")},
    "wrong issuer": lambda s: {"token": _hs256(s, iss="someone-else")},
    "missing exp": lambda s: {
        "token": jwt.encode(
            {k: v for k, v in _claims(s).items() if k != "exp"}, s.jwt_secret, algorithm="HS256"
        )
    },
    "hundred-year token": lambda s: {"token": _hs256(s, exp=int(time.time()) + 100 * 365 * 86400)},
    "issued longer ago than the cap": lambda s: {
        "token": _hs256(s, iat=int(time.time()) - 86400 - 60)
    },
    "hs512 with our key": lambda s: {
        "token": jwt.encode(_claims(s), s.jwt_secret, algorithm="HS512")
    },
}


class TestConnect:
    @pytest.mark.parametrize("case", sorted(BAD_TOKENS))
    @pytest.mark.filterwarnings("ignore:The HMAC key")  # the HS512 case signs with our HS256 key
    async def test_bad_token_is_refused(
        self, realtime: ServiceProcess, base_settings: Settings, case: str
    ) -> None:
        """A connection with a missing, malformed, expired, unsigned or foreign token is refused."""
        client = LiveClient()
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(realtime.url, auth=BAD_TOKENS[case](base_settings))
        await client.close()
        assert client.connect_errors
        assert client.connect_errors[0]["message"] in {"missing_token", "invalid_token"}

    async def test_token_in_the_query_string_is_refused(
        self, realtime: ServiceProcess, token: Callable[..., str]
    ) -> None:
        """A valid token in the query string instead of the auth payload does not authenticate."""
        client = LiveClient()
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(f"{realtime.url}?token={token([1])}")
        await client.close()
        assert client.connect_errors == [{"message": "missing_token"}]

    async def test_valid_token_connects_over_polling_and_websocket(
        self, realtime: ServiceProcess, token: Callable[..., str], live_client: Any
    ) -> None:
        """A valid token connects with the default transports (polling, then the websocket upgrade)."""
        client = LiveClient()
        await client.connect(
            realtime.url, auth={"token": token([1])}, transports=["polling", "websocket"]
        )
        try:
            assert client.sio.connected
        finally:
            await client.close()


class TestRooms:
    async def test_client_hears_only_its_granted_projects(
        self,
        realtime: ServiceProcess,
        token: Callable[..., str],
        publisher: redis.Redis,
        project_ids: Callable[[int], list[int]],
        live_client: Any,
    ) -> None:
        """A client for project A receives A's events and never B's."""
        a, b = project_ids(2)
        async with (
            live_client(realtime.url, token([a])) as client_a,
            live_client(realtime.url, token([b])) as client_b,
        ):
            publish_batch(publisher, make_batch(b, route="/b-only"))
            publish_batch(publisher, make_batch(a, route="/a-only"))
            await client_a.wait_for(client_a.routes, timeout=1)
            await client_b.wait_for(client_b.routes, timeout=1)
            await _settle()
        assert client_a.routes() == ["/a-only"]
        assert client_b.routes() == ["/b-only"]
        assert {e["project_id"] for e in client_a.vitals()} == {a}

    async def test_narrowing_drops_the_other_projects(
        self,
        realtime: ServiceProcess,
        token: Callable[..., str],
        publisher: redis.Redis,
        project_ids: Callable[[int], list[int]],
        live_client: Any,
    ) -> None:
        """After `subscribe` to a subset of its grant, a client hears only that subset."""
        a, b = project_ids(2)
        async with live_client(realtime.url, token([a, b])) as client:
            assert await client.emit("subscribe", {"projects": [a]}) == {"projects": [a]}
            publish_batch(publisher, make_batch(b, route="/b"))
            publish_batch(publisher, make_batch(a, route="/a"))
            await client.wait_for(client.routes, timeout=1)
            await _settle()
            assert client.routes() == ["/a"]
            assert await client.emit("subscribe", {"projects": [b]}) == {"projects": [b]}
            publish_batch(publisher, make_batch(a, route="/a-again"))
            publish_batch(publisher, make_batch(b, route="/b-again"))
            await client.wait_for(lambda: "/b-again" in client.routes(), timeout=1)
            await _settle()
        assert client.routes() == ["/a", "/b-again"]

    async def test_widening_beyond_the_grant_is_refused(
        self,
        realtime: ServiceProcess,
        token: Callable[..., str],
        publisher: redis.Redis,
        project_ids: Callable[[int], list[int]],
        live_client: Any,
    ) -> None:
        """A `subscribe` naming a project the token does not grant is refused whole and changes nothing."""
        a, b = project_ids(2)
        async with live_client(realtime.url, token([a])) as client:
            answer = await client.emit("subscribe", {"projects": [a, b]})
            assert answer == {"error": "forbidden", "detail": {"projects": [b]}}
            publish_batch(publisher, make_batch(b, route="/b"))
            publish_batch(publisher, make_batch(a, route="/a"))
            await client.wait_for(client.routes, timeout=1)
            await _settle()
        assert client.routes() == ["/a"]

    @pytest.mark.parametrize(
        "payload",
        [None, {"projects": "1"}, {"projects": [True]}, {"projects": [1], "all": True}, [1]],
    )
    async def test_malformed_subscribe_is_answered_not_applied(
        self, realtime: ServiceProcess, token: Callable[..., str], live_client: Any, payload: Any
    ) -> None:
        """A malformed `subscribe` gets a `malformed` error and the connection stays up."""
        async with live_client(realtime.url, token([1])) as client:
            answer = await client.emit("subscribe", payload)
            assert answer["error"] == "malformed"
            assert client.sio.connected


class TestExpiry:
    async def test_expired_token_disconnects_the_client(
        self, realtime: ServiceProcess, token: Callable[..., str], live_client: Any
    ) -> None:
        """When the token's exp passes, the server disconnects the client."""
        connected_at = time.monotonic()
        async with live_client(realtime.url, token([1], lifetime_s=2)) as client:
            await client.wait_for(lambda: client.disconnected_at is not None, timeout=4)
            assert client.disconnected_at is not None
            assert 0.8 <= client.disconnected_at - connected_at <= 3.5
            assert client.disconnect_reason == socketio.AsyncClient.reason.SERVER_DISCONNECT

    async def test_long_lived_token_stays_connected(
        self, realtime: ServiceProcess, token: Callable[..., str], live_client: Any
    ) -> None:
        """A token valid for an hour keeps its connection past a short token's expiry."""
        async with live_client(realtime.url, token([1], lifetime_s=3600)) as client:
            await _settle(2.5)
            assert client.sio.connected
            assert client.disconnected_at is None


class TestOrigins:
    def test_dashboard_origin_is_allowed(self, realtime: ServiceProcess) -> None:
        """The configured dashboard origin gets the polling handshake and its CORS header."""
        response = httpx.get(
            realtime.url + "/socket.io/?EIO=4&transport=polling",
            headers={"Origin": DASHBOARD_ORIGIN},
        )
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == DASHBOARD_ORIGIN
        assert "access-control-allow-credentials" not in response.headers

    def test_other_origin_is_refused(self, realtime: ServiceProcess) -> None:
        """Any other origin is refused before the handshake, and no wildcard is ever sent."""
        response = httpx.get(
            realtime.url + "/socket.io/?EIO=4&transport=polling",
            headers={"Origin": "http://evil.test"},
        )
        assert response.status_code == 400
        assert "access-control-allow-origin" not in response.headers

    async def test_other_origin_cannot_open_a_websocket(
        self, realtime: ServiceProcess, token: Callable[..., str]
    ) -> None:
        """A websocket from a foreign origin is refused even with a valid token."""
        client = LiveClient()
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(
                realtime.url, auth={"token": token([1])}, headers={"Origin": "http://evil.test"}
            )
        await client.close()

    def test_wildcard_is_refused_at_start(self, base_settings: Settings) -> None:
        """A `*` in the allow-list stops the server from starting instead of allowing everyone."""
        wildcard = Settings(
            database_url=base_settings.database_url,
            redis_url=base_settings.redis_url,
            jwt_secret=base_settings.jwt_secret,
            realtime_cors_origins=("*",),
        )
        with pytest.raises(SettingsError, match="VITALS_REALTIME_CORS_ORIGINS"):
            create_app(wildcard)

    async def test_no_origins_configured_allows_no_browser(self, base_settings: Settings) -> None:
        """With an empty allow-list no browser origin is accepted (engine.io reads [] as "any")."""
        app = create_app(
            Settings(
                database_url=base_settings.database_url,
                redis_url=base_settings.redis_url,
                jwt_secret=base_settings.jwt_secret,
            )
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://realtime"
        ) as http:
            response = await http.get(
                "/socket.io/?EIO=4&transport=polling", headers={"Origin": "http://localhost:5173"}
            )
        assert response.status_code == 400


async def _settle(seconds: float = 0.6) -> None:
    """Long enough for a stray event (one throttle interval and then some) to show up."""
    await asyncio.sleep(seconds)
