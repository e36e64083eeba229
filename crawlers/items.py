"""Build FetchedItem values: the one place that fills canonical URL, content hash and fingerprint."""

from __future__ import annotations

import re
from datetime import datetime

from crawlers.dedup import item_fingerprint
from crawlers.text import content_hash, inline, tidy
from crawlers.types import Engagement, FetchedItem
from crawlers.urls import canonical_url

_NUM = r"(\d+(?:\.\d+)?)\s*(万|w|W|千|k|K|亿)?"
_COUNT_PATTERNS = {
    "reposts": re.compile(r"(?:转发|转载|分享|reposts?)\s*(?:数)?\s*[:：\[(（]?\s*" + _NUM),
    "comments": re.compile(r"(?:评论|comments?)\s*(?:数)?\s*[:：\[(（]?\s*" + _NUM),
    "likes": re.compile(r"(?:点赞|赞|likes?)\s*(?:数)?\s*[:：\[(（]?\s*" + _NUM),
}
_SCALE = {"万": 10_000, "w": 10_000, "W": 10_000, "千": 1_000, "k": 1_000, "K": 1_000, "亿": 100_000_000}


def parse_count(value: object) -> int | None:
    """An engagement count from an int or a string such as '1.2万' / '3k' / '15'; None if not a count."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value >= 0 else None
    m = re.fullmatch(r"\s*" + _NUM + r"\s*", str(value))
    if not m:
        return None
    return int(float(m.group(1)) * _SCALE.get(m.group(2) or "", 1))


def engagement_from_text(text: str) -> Engagement:
    """Best-effort repost/comment/like counts written into a post's text (RSSHub Weibo descriptions)."""
    found: dict[str, int | None] = {}
    for key, pattern in _COUNT_PATTERNS.items():
        m = pattern.search(text)
        found[key] = int(float(m.group(1)) * _SCALE.get(m.group(2) or "", 1)) if m else None
    return Engagement(**found)


def synthetic_url(source_id: str, key: str) -> str:
    """Identity for an item without a link (imports, link-less entries): urn:yuqing:<source>:<key>."""
    return f"urn:yuqing:{source_id}:{key}"


def make_item(
    *,
    source_id: str,
    url: str,
    title: str,
    text: str,
    fetched_at: datetime,
    published_at: datetime | None = None,
    author: str = "",
    guid: str = "",
    engagement: Engagement | None = None,
    flags: tuple[str, ...] = (),
    language: str = "zh",
) -> FetchedItem:
    """A FetchedItem with canonical URL (or a urn when there is no link), content hash and SimHash."""
    title = inline(title)
    text = tidy(text)
    url = url.strip()
    if url and not url.lower().startswith(("http://", "https://")):
        # javascript:, data: and other schemes are never article addresses (and are unsafe as links).
        url, flags = "", (*flags, "bad_url")
    chash = content_hash(title, text)
    canon = canonical_url(url) if url else synthetic_url(source_id, guid or chash[:32])
    return FetchedItem(
        source_id=source_id,
        url=url or canon,
        canonical_url=canon,
        title=title,
        text=text,
        content_hash=chash,
        fingerprint=item_fingerprint(title, text),
        fetched_at=fetched_at,
        published_at=published_at,
        author=inline(author),
        language=language,
        guid=guid,
        engagement=engagement or Engagement(),
        flags=flags,
    )
