"""Domain types that leave crawlers/: source specs, fetched items and fetch outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class SourceKind(StrEnum):
    """How a source is reached."""

    FEED = "feed"  # RSS 0.9x/1.0/2.0 or Atom
    PAGE = "page"  # one article page
    LIST = "list"  # a list page whose article links are followed (Scrapy)
    RSSHUB = "rsshub"  # a route on an RSSHub instance the user runs
    IMPORT = "import"  # JSONL/CSV exported by another system


@dataclass(frozen=True, slots=True)
class Selectors:
    """CSS or XPath selectors for a list/page source; any may be empty (the extractor decides)."""

    article_links: str = ""
    next_page: str = ""
    title: str = ""
    body: str = ""
    author: str = ""
    published_at: str = ""
    max_pages: int = 3


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One configured source, as crawlers see it (built by service/ from the config)."""

    id: str
    name: str
    kind: SourceKind
    url: str
    poll_interval_s: int = 600
    encoding: str | None = None
    selectors: Selectors = field(default_factory=Selectors)
    unit_hints: tuple[str, ...] = ()
    enabled: bool = True
    rsshub_route: str = ""
    timeout_s: float = 20.0
    max_bytes: int = 10_000_000
    download_delay_s: float = 1.0
    user_agent: str = "yuqing/0.1 (+public-opinion response monitoring)"
    concurrent_requests_per_domain: int = 2  # list crawls (Scrapy CONCURRENT_REQUESTS_PER_DOMAIN)
    max_items: int = 100  # list crawls: article pages followed per crawl, at most


@dataclass(frozen=True, slots=True)
class Engagement:
    """Repost/comment/like counts of a social post, when the source gives them."""

    reposts: int | None = None
    comments: int | None = None
    likes: int | None = None


@dataclass(frozen=True, slots=True)
class FetchedItem:
    """One article or post, normalised; times are timezone-aware UTC."""

    source_id: str
    url: str
    canonical_url: str
    title: str
    text: str
    content_hash: str  # sha256 hex of the normalised title+text
    fingerprint: int  # 64-bit SimHash of the normalised text, as a signed int64
    fetched_at: datetime
    published_at: datetime | None = None
    author: str = ""
    language: str = "zh"
    guid: str = ""
    engagement: Engagement = field(default_factory=Engagement)
    flags: tuple[str, ...] = ()  # e.g. "ill_formed_feed", "charset_overridden"


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """What one fetch of one source produced; failures are data, not exceptions."""

    source_id: str
    started_at: datetime
    finished_at: datetime
    ok: bool
    http_status: int | None = None
    not_modified: bool = False
    items: tuple[FetchedItem, ...] = ()
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None  # one line: what happened and where
    flags: tuple[str, ...] = ()
