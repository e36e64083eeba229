"""The demo replay server releases items over time and answers conditional GETs."""

from __future__ import annotations

from pathlib import Path

import httpx

from service.replay import ReplayFeed, ReplayItem, ReplayServer, load_items

ROOT = Path(__file__).resolve().parents[2]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_items_released_over_time_with_etag() -> None:
    clock = FakeClock()
    items = [ReplayItem("a", "标题一", "正文一", 0), ReplayItem("b", "标题二 <b>", "正文二", 60, lag_s=600)]
    server = ReplayServer(ReplayFeed(items, clock=clock)).start()
    try:
        first = httpx.get(server.feed_url)
        assert first.status_code == 200
        assert "标题一" in first.text and "标题二" not in first.text
        again = httpx.get(server.feed_url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304
        clock.now += 61
        later = httpx.get(server.feed_url, headers={"If-None-Match": first.headers["ETag"]})
        assert later.status_code == 200
        assert "标题二 &lt;b&gt;" in later.text
        assert httpx.get(server.feed_url.replace("news.xml", "x.xml")).status_code == 404
    finally:
        server.stop()


def test_bundled_demo_items_load() -> None:
    items = load_items(ROOT / "demo" / "items.toml")
    assert len(items) >= 8
    assert all(item.title and item.text for item in items)
