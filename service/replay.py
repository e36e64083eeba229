"""A small loopback feed server that releases bundled sample items over time (demo, tests, benches).

Items come from a TOML file (demo/items.toml): each has `release_s` (seconds after start when it
appears in the feed) and `lag_s` (how long before its release the feed claims it was published).
The feed is RSS 2.0 at /feeds/news.xml with ETag/Last-Modified, so pollers see 304 between releases.
"""

from __future__ import annotations

import threading
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

FEED_PATH = "/feeds/news.xml"


@dataclass(frozen=True, slots=True)
class ReplayItem:
    """One sample entry and when it appears."""

    id: str
    title: str
    text: str
    release_s: float
    lag_s: float = 0.0


def load_items(path: Path) -> list[ReplayItem]:
    """Read replay items from a TOML file with [[item]] tables."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    items = []
    for index, raw in enumerate(data.get("item", [])):
        try:
            items.append(
                ReplayItem(
                    id=str(raw["id"]),
                    title=str(raw["title"]),
                    text=str(raw["text"]),
                    release_s=float(raw["release_s"]),
                    lag_s=float(raw.get("lag_s", 0)),
                )
            )
        except KeyError as exc:
            raise ValueError(f"{path}: item[{index}]: 缺少 {exc.args[0]}") from None
    return items


class ReplayFeed:
    """The feed's state: which items are released at a given moment (thread-safe, clock injectable)."""

    def __init__(
        self,
        items: Sequence[ReplayItem],
        *,
        started: float | None = None,
        speed: float = 1.0,
        clock: Callable[[], float] = time.time,
        base_url: str = "http://127.0.0.1",
    ) -> None:
        self._items = sorted(items, key=lambda i: i.release_s)
        self._clock = clock
        self._started = clock() if started is None else started
        self._speed = speed
        self._lock = threading.Lock()
        self._extra: list[tuple[float, ReplayItem]] = []
        self.base_url = base_url

    def add_now(self, item: ReplayItem) -> None:
        """Release an extra item immediately (tests and latency benches)."""
        with self._lock:
            self._extra.append((self._clock(), item))

    def released(self) -> list[tuple[datetime, ReplayItem]]:
        """(published time, item) for every item released so far, newest first."""
        now = self._clock()
        elapsed = (now - self._started) * self._speed
        out = []
        for item in self._items:
            if item.release_s <= elapsed:
                release_wall = self._started + item.release_s / self._speed
                out.append((_utc(release_wall - item.lag_s), item))
        with self._lock:
            out += [(_utc(at - item.lag_s), item) for at, item in self._extra]
        out.sort(key=lambda pair: pair[0], reverse=True)
        return out

    def render(self) -> tuple[bytes, str]:
        """The RSS document and its ETag."""
        released = self.released()
        entries = []
        for published, item in released:
            link = f"{self.base_url}/news/{item.id}.html"
            entries.append(
                "<item>"
                f"<title>{escape(item.title)}</title><link>{escape(link)}</link>"
                f"<guid isPermaLink=\"false\">{escape(item.id)}</guid>"
                f"<pubDate>{format_datetime(published)}</pubDate>"
                f"<description>{escape(item.text)}</description>"
                "</item>"
            )
        body = (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            "<title>示例新闻网（演示回放，示例数据）</title>"
            f"<link>{self.base_url}/</link><description>yuqing sample feed</description>"
            + "".join(entries)
            + "</channel></rss>"
        ).encode()
        etag = f'"{len(released)}-{released[0][1].id if released else "none"}"'
        return body, etag


class _Handler(BaseHTTPRequestHandler):
    feed: ReplayFeed

    def do_GET(self) -> None:
        if self.path.split("?")[0] != FEED_PATH:
            self.send_error(404, "not found")
            return
        body, etag = self.feed.render()
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return  # the replay server is quiet; the poller logs what it fetched


class ReplayServer:
    """Serves a ReplayFeed on 127.0.0.1 in a background thread."""

    def __init__(self, feed: ReplayFeed, host: str = "127.0.0.1", port: int = 0) -> None:
        handler = type("ReplayHandler", (_Handler,), {"feed": feed})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        address = self._server.server_address
        self.host, self.port = str(address[0]), int(address[1])
        feed.base_url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="replay", daemon=True)

    @property
    def feed_url(self) -> str:
        """The URL of the feed."""
        return f"http://{self.host}:{self.port}{FEED_PATH}"

    def start(self) -> ReplayServer:
        """Start serving."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC).replace(microsecond=0) + timedelta(0)
