"""What workers publish: one stream entry per batch, bounded, decodable by realtime."""

from __future__ import annotations

import redis

from services.contracts.live import (
    LIVE_PAGE_VIEWS_MAX,
    LIVE_STREAM,
    LIVE_STREAM_FIELD,
    LIVE_STREAM_MAXLEN,
    LiveBatch,
    LivePageView,
    decode_batch,
    publish_batch,
)
from tests.support.processes import RedisServer


def _batch(views: int) -> LiveBatch:
    page_views = [
        LivePageView(route=f"/{i}", device="mobile", country="FR", values=[]) for i in range(views)
    ]
    return LiveBatch(
        project_id=1, counts={"LCP": views}, bins={"LCP": {400: views}}, page_views=page_views
    )


class TestPublishBatch:
    def test_entry_round_trips_and_keeps_the_newest_page_views(
        self, live_redis: RedisServer
    ) -> None:
        """A published batch decodes back whole, with only the newest LIVE_PAGE_VIEWS_MAX page views."""
        client = redis.Redis.from_url(live_redis.url)
        client.delete(LIVE_STREAM)
        publish_batch(client, _batch(LIVE_PAGE_VIEWS_MAX + 30))
        ((_, fields),) = client.xrange(LIVE_STREAM)
        batch = decode_batch(fields[LIVE_STREAM_FIELD.encode()])
        client.close()
        assert batch.bins == {"LCP": {400: LIVE_PAGE_VIEWS_MAX + 30}}
        assert [pv.route for pv in batch.page_views] == [
            f"/{i}" for i in range(30, LIVE_PAGE_VIEWS_MAX + 30)
        ]

    def test_stream_stays_bounded(self, live_redis: RedisServer) -> None:
        """However much is published, the stream holds about LIVE_STREAM_MAXLEN entries."""
        client = redis.Redis.from_url(live_redis.url)
        client.delete(LIVE_STREAM)
        with client.pipeline(transaction=False) as pipe:
            for _ in range(LIVE_STREAM_MAXLEN * 2):
                publish_batch(pipe, _batch(1))
            pipe.execute()
        length = client.xlen(LIVE_STREAM)
        client.close()
        assert LIVE_STREAM_MAXLEN <= length < LIVE_STREAM_MAXLEN * 1.2
