"""A page URL the workers could not key a page on is refused at ingest: 202 means stored.

Ingest and the workers split URLs with one function (contracts/page_url.py), so the
cases below are refused here for the reason the workers would have dropped them for.
"""

from __future__ import annotations

from typing import Any

import pytest
import redis.asyncio

from services.contracts.settings import Settings
from services.workers.routes import page_of
from tests.ingest.conftest import beacon, post_beacon, publish_key, queued_beacons

REFUSED = {
    "no host": "https:///products/1",
    "empty host before a port": "https://:8080/",
    "port over 65535": "https://shop.example:65536/",
    "port not a number": "https://shop.example:http/",
    "negative port": "https://shop.example:-1/",
    "unclosed IPv6 literal": "https://[2001:db8::1/cart",
    "IPv6 literal that is no address": "https://[2001:db8::zz]/",
    "space in the host": "https://shop example.com/",
    "angle bracket in the host": "https://shop<script>.example/",
    "not http(s)": "javascript:alert(1)",
    "relative": "/products/1",
    "over 2048 bytes in UTF-8": "https://shop.example/" + "é" * 1020,
    "over 2048 bytes once its control characters are encoded": "https://x.example/" + "\x01" * 700,
}
ACCEPTED = {
    "host and port": ("https://Shop.Example:8443/cart?x=1#y", "shop.example:8443", "/cart"),
    "IPv6 literal": ("http://[2001:db8::1]/a", "2001:db8::1", "/a"),
    "port 0, the lowest": ("http://shop.example:0/", "shop.example:0", "/"),
    "port 65535, the highest": ("http://shop.example:65535", "shop.example:65535", "/"),
    "user info": ("https://me:pw@shop.example/p", "shop.example", "/p"),
    "host beyond ASCII": ("https://bücher.example/ü", "bücher.example", "/ü"),
    "path percent-encoded": ("https://shop.example/caf%C3%A9", "shop.example", "/café"),
}


class TestPageUrl:
    @pytest.mark.parametrize("url", list(REFUSED.values()), ids=list(REFUSED))
    async def test_url_without_a_usable_page_is_400_naming_the_field(
        self, ingest: Any, redis_client: redis.asyncio.Redis, settings: Settings, url: str
    ) -> None:
        """The beacon is refused with 400 invalid_beacon, the detail names `url`, and nothing is enqueued."""
        key = await publish_key(redis_client, project_id=3)
        response = await post_beacon(ingest, key, beacon("minimal", url=url))
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["error"] == "invalid_beacon"
        assert "url" in body["detail"]
        assert queued_beacons(settings) == []

    @pytest.mark.parametrize("case", list(ACCEPTED.values()), ids=list(ACCEPTED))
    async def test_url_ingest_accepts_names_a_page_for_the_workers(
        self,
        ingest: Any,
        redis_client: redis.asyncio.Redis,
        settings: Settings,
        case: tuple[str, str, str],
    ) -> None:
        """A URL answered 202 splits, in the workers, into the host and path of a page."""
        url, host, path = case
        key = await publish_key(redis_client, project_id=3)
        response = await post_beacon(ingest, key, beacon("minimal", url=url))
        assert response.status_code == 202, response.text
        [accepted] = queued_beacons(settings)
        page = page_of(accepted.beacon.url, [])
        assert (page.host, page.path) == (host, path)
