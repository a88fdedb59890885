"""Ingest as production runs it (uvicorn, real sockets): concurrent beacons are group-committed,
and a chunked upload with no Content-Length is still cut off at 64 KiB."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator

import httpx
import pytest
import redis.asyncio

from services.contracts.settings import Settings
from services.ingest.body import MAX_BODY_BYTES
from tests.ingest.conftest import (
    BROWSER_UA,
    SEND_BEACON_TYPE,
    beacon,
    metric,
    publish_key,
    queued_beacons,
    queued_jobs,
)
from tests.support.processes import ServiceProcess, uvicorn_service


@pytest.fixture
def server(settings: Settings, redis_client: redis.asyncio.Redis) -> Iterator[ServiceProcess]:
    service = uvicorn_service("ingest", "services.ingest.app:create_app", settings)
    try:
        service.wait_healthy()
        yield service
    finally:
        service.stop()


def chunked_post(port: int, path: str, chunks: list[bytes]) -> int:
    """POSTs with Transfer-Encoding: chunked and no Content-Length; returns the status code."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {SEND_BEACON_TYPE}\r\n"
        f"User-Agent: {BROWSER_UA}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode())
        try:
            for chunk in chunks:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server may answer and close before the upload ends
        status_line = sock.makefile("rb").readline()
    return int(status_line.split()[1])


def simultaneous_posts(port: int, path: str, bodies: list[bytes]) -> list[int]:
    """Sends every request but its body's last byte, then all last bytes at once: the server
    sees the requests complete together, as under load. Returns the status codes in order."""
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in bodies]
    try:
        for sock, body in zip(sockets, bodies, strict=True):
            head = (
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {SEND_BEACON_TYPE}\r\n"
                f"User-Agent: {BROWSER_UA}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            sock.sendall(head.encode() + body[:-1])
        for sock, body in zip(sockets, bodies, strict=True):
            sock.sendall(body[-1:])
        return [int(sock.makefile("rb").readline().split()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class TestServedByUvicorn:
    async def test_concurrent_beacons_share_jobs(
        self, server: ServiceProcess, settings: Settings, redis_client: redis.asyncio.Redis
    ) -> None:
        """100 beacons completing at the same moment are all accepted, in a handful of jobs, each beacon exactly once."""
        key = await publish_key(redis_client, project_id=12)
        bodies = [json.dumps(beacon("full", navigationId=f"nav-{i}")).encode() for i in range(100)]
        statuses = await asyncio.to_thread(
            simultaneous_posts, server.port, f"/v1/beacon?key={key}", bodies
        )
        assert statuses == [202] * 100
        assert len(queued_jobs(settings)) <= 10
        navigation_ids = sorted(b.beacon.navigation_id for b in queued_beacons(settings))
        assert navigation_ids == sorted(f"nav-{i}" for i in range(100))
        assert {b.project_id for b in queued_beacons(settings)} == {12}

    async def test_chunked_upload_over_the_limit_is_413(
        self, server: ServiceProcess, settings: Settings, redis_client: redis.asyncio.Redis
    ) -> None:
        """A 100 KiB body sent chunked, with no Content-Length to judge by, is refused with 413."""
        key = await publish_key(redis_client, project_id=12)
        chunks = [b" " * 1024] * 100
        status = await asyncio.to_thread(chunked_post, server.port, f"/v1/beacon?key={key}", chunks)
        assert status == 413
        assert queued_jobs(settings) == []

    async def test_chunked_upload_within_the_limit_is_accepted(
        self, server: ServiceProcess, settings: Settings, redis_client: redis.asyncio.Redis
    ) -> None:
        """A valid beacon sent chunked without Content-Length is accepted like any other."""
        key = await publish_key(redis_client, project_id=12)
        body = json.dumps(beacon("full")).encode()
        assert len(body) < MAX_BODY_BYTES
        chunks = [body[i : i + 100] for i in range(0, len(body), 100)]
        status = await asyncio.to_thread(chunked_post, server.port, f"/v1/beacon?key={key}", chunks)
        assert status == 202
        assert len(queued_beacons(settings)) == 1

    async def test_a_body_cut_off_by_a_disconnect_is_refused_and_counted(
        self, server: ServiceProcess, settings: Settings, redis_client: redis.asyncio.Redis
    ) -> None:
        """The client goes away mid-body: no half beacon is decoded or enqueued, the refusal
        is counted as a 400 (incomplete_body, answered into the void), and the server goes on."""
        key = await publish_key(redis_client, project_id=12)
        body = json.dumps(beacon("full")).encode()
        head = (
            f"POST /v1/beacon?key={key} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: {SEND_BEACON_TYPE}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(head.encode() + body[:50])
        async with httpx.AsyncClient(base_url=server.url) as client:
            for _ in range(50):  # the server notices the disconnect asynchronously
                if await metric(client, "vitals_ingest_responses_total", status="400") == 1:
                    break
                await asyncio.sleep(0.1)
            assert await metric(client, "vitals_ingest_responses_total", status="400") == 1
            assert queued_jobs(settings) == []
            response = await client.post(
                f"/v1/beacon?key={key}", content=body, headers={"content-type": SEND_BEACON_TYPE}
            )
            assert response.status_code == 202
