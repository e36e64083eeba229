"""RSS 0.9x/1.0/2.0 and Atom feeds (feedparser), JSON Feed, and RSSHub routes → FetchedItem values."""

from __future__ import annotations

import calendar
import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import feedparser
import httpx

from crawlers.charset import decode_body
from crawlers.dates import parse_date
from crawlers.errors import SpecError
from crawlers.fetch import fetch_url
from crawlers.items import engagement_from_text, make_item, parse_count
from crawlers.text import html_to_text
from crawlers.types import Engagement, FetchedItem, FetchOutcome, SourceKind, SourceSpec

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
_XML_ENC = re.compile(r"^(\s*<\?xml[^>]*?encoding\s*=\s*)([\"'])[^\"']*\2", re.I)


class ParsedFeed(NamedTuple):
    """parse_feed's result: items, feed-level flags, and an error (None when the feed was usable)."""

    items: tuple[FetchedItem, ...]
    flags: tuple[str, ...]
    error: str | None


def rsshub_url(spec: SourceSpec) -> str:
    """The feed URL of an rsshub source: instance base URL + route."""
    if not spec.rsshub_route:
        raise SpecError(f"信息源 {spec.id}: rsshub 类型缺少 rsshub_route (missing route)")
    return spec.url.rstrip("/") + "/" + spec.rsshub_route.lstrip("/")


def feed_url(spec: SourceSpec) -> str:
    """The URL to poll for a feed or rsshub source."""
    return rsshub_url(spec) if spec.kind == SourceKind.RSSHUB else spec.url


def _struct_to_dt(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _published(entry: Any, now: datetime) -> datetime | None:
    for key in ("published", "updated", "created", "dc_date", "date"):
        raw = entry.get(key)
        if isinstance(raw, str) and raw.strip():
            # Our parser first: zone-less Chinese dates mean Asia/Shanghai, not UTC as feedparser assumes.
            dt = parse_date(raw, now)
            if dt is not None:
                return dt
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        dt = _struct_to_dt(entry.get(key))
        if dt is not None:
            return dt
    return None


def _entry_text(entry: Any) -> str:
    candidates: list[str] = []
    for content in entry.get("content") or []:
        value = content.get("value") if isinstance(content, dict) else None
        if isinstance(value, str):
            candidates.append(value)
    for key in ("summary", "description"):
        value = entry.get(key)
        if isinstance(value, str):
            candidates.append(value)
    texts = [html_to_text(c) for c in candidates]
    return max(texts, key=len, default="")


def _engagement(entry: Any, text: str) -> Engagement:
    found = engagement_from_text(text)
    slash = parse_count(entry.get("slash_comments"))
    if slash is not None and found.comments is None:
        found = Engagement(found.reposts, slash, found.likes)
    return found


def _to_utf8(data: bytes | str, content_type: str | None, encoding: str | None) -> tuple[bytes, tuple[str, ...]]:
    """Decode with our charset rules, then hand feedparser UTF-8 with a matching declaration."""
    flags: tuple[str, ...] = ()
    if isinstance(data, str):
        text = data
    else:
        decoded = decode_body(data, content_type, encoding)
        text, flags = decoded.text, decoded.flags
    text = _XML_ENC.sub(r"\1\2utf-8\2", text.lstrip("\ufeff"), count=1)
    return text.encode("utf-8"), flags


def _json_feed(text: str, source: SourceSpec, now: datetime, flags: tuple[str, ...]) -> ParsedFeed | None:
    """JSON Feed 1.0/1.1 (feedparser 6 reads only XML feeds); None when text is not a JSON Feed."""
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict) or "jsonfeed.org" not in str(doc.get("version", "")):
        return None
    items: list[FetchedItem] = []
    for entry in doc.get("items") or []:
        if not isinstance(entry, dict):
            continue
        title = html_to_text(str(entry.get("title") or ""))
        body = str(entry.get("content_html") or entry.get("content_text") or entry.get("summary") or "")
        text = html_to_text(body)
        if not (title or text):
            continue
        authors = entry.get("authors") or ([entry["author"]] if isinstance(entry.get("author"), dict) else [])
        author = ", ".join(str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name"))
        raw_date = entry.get("date_published") or entry.get("date_modified")
        items.append(make_item(
            source_id=source.id, url=str(entry.get("url") or entry.get("external_url") or ""), title=title,
            text=text, fetched_at=now, published_at=parse_date(str(raw_date), now) if raw_date else None,
            author=author, guid=str(entry.get("id") or ""), engagement=engagement_from_text(text), flags=flags,
        ))
    return ParsedFeed(tuple(items), flags, None)


def parse_feed(
    data: bytes | str,
    source: SourceSpec,
    now: datetime,
    *,
    content_type: str | None = None,
    base_url: str | None = None,
) -> ParsedFeed:
    """Parse feed bytes/text into items; ill-formed-but-usable → flagged, nothing usable → error."""
    body, flags = _to_utf8(data, content_type, source.encoding)
    if body.lstrip()[:1] == b"{":
        as_json = _json_feed(body.decode("utf-8"), source, now, flags)
        if as_json is not None:
            return as_json
    headers = {"content-type": "application/xml; charset=utf-8"}
    if base_url:
        headers["content-location"] = base_url
    # No sanitising or URI rewriting inside entry HTML: html_to_text drops all markup (script and
    # style content included) anyway, and skipping both saves about a third of feedparser's time.
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False)
    entries = list(parsed.get("entries") or [])
    bozo = bool(parsed.get("bozo"))
    reason = " ".join(str(parsed.get("bozo_exception") or "").split())[:200]
    if not entries:
        if bozo:
            return ParsedFeed((), flags, f"无法解析订阅源 feed unparseable ({source.id}): {reason or 'no entries'}")
        if not parsed.get("version"):
            return ParsedFeed((), flags, f"不是订阅源 not a feed ({source.id}): no RSS/Atom root element")
        return ParsedFeed((), flags, None)
    if bozo:
        flags = (*flags, "ill_formed_feed")
    items: list[FetchedItem] = []
    skipped = 0
    for entry in entries:
        title = html_to_text(str(entry.get("title") or ""))
        text = _entry_text(entry)
        link = str(entry.get("link") or "")
        guid = str(entry.get("id") or "")
        if not link and guid.startswith(("http://", "https://")):
            link = guid
        if not (title or text):
            skipped += 1  # an entry with neither title nor text is no article
            continue
        items.append(
            make_item(
                source_id=source.id,
                url=link,
                title=title,
                text=text,
                fetched_at=now,
                published_at=_published(entry, now),
                author=html_to_text(str(entry.get("author") or "")),
                guid=guid,
                engagement=_engagement(entry, text),
                flags=flags,
            )
        )
    if skipped:
        flags = (*flags, f"skipped_empty_entries:{skipped}")
    return ParsedFeed(tuple(items), flags, None)


def fetch_feed(
    spec: SourceSpec,
    etag: str | None,
    last_modified: str | None,
    now: datetime,
    client: httpx.Client | None = None,
) -> FetchOutcome:
    """Conditional GET of a feed/rsshub source and parse it; failures come back as ok=False outcomes."""
    url = feed_url(spec)
    raw = fetch_url(
        url,
        etag=etag,
        last_modified=last_modified,
        timeout_s=spec.timeout_s,
        max_bytes=spec.max_bytes,
        user_agent=spec.user_agent,
        client=client,
        accept=FEED_ACCEPT,
    )
    finished = now + timedelta(seconds=raw.elapsed_s)
    common: dict[str, Any] = {
        "source_id": spec.id,
        "started_at": now,
        "finished_at": finished,
        "http_status": raw.status,
        # 304 may omit validators (keep ours); a 200 replaces them with what it sent, even none.
        "etag": (raw.etag or etag) if raw.not_modified else raw.etag,
        "last_modified": (raw.last_modified or last_modified) if raw.not_modified else raw.last_modified,
    }
    if not raw.ok:
        return FetchOutcome(ok=False, error=raw.error, **common)
    if raw.not_modified:
        return FetchOutcome(ok=True, not_modified=True, **common)
    result = parse_feed(raw.body, spec, now, content_type=raw.content_type, base_url=raw.final_url or url)
    if result.error:
        return FetchOutcome(ok=False, error=f"{result.error} @ {url}", flags=result.flags, **common)
    return FetchOutcome(ok=True, items=result.items, flags=result.flags, **common)
