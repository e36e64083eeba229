"""Article pages: extraction (selectors first, trafilatura for the rest) and the single-page fetch."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import lxml.etree
import lxml.html
from parsel import Selector
from protego import Protego

from crawlers.dates import find_date, parse_date
from crawlers.fetch import fetch_url, robots_allowed
from crawlers.items import make_item
from crawlers.text import html_to_text, inline
from crawlers.types import FetchedItem, FetchOutcome, Selectors, SourceKind, SourceSpec

# <meta> names that carry a publication time, most specific first.
_DATE_META = (
    "article:published_time", "og:article:published_time", "og:release_date", "publishdate", "pubdate",
    "publish_date", "publishtime", "PubDate", "dc.date", "dc.date.issued", "dcterms.created", "date",
)
_AUTHOR_META = ("author", "article:author", "dc.creator", "contentsource", "byline")
# Labels that pages print where an author would be; trafilatura sometimes returns them as the author.
_AUTHOR_LABELS = {"作者", "来源", "编辑", "责任编辑", "记者", "author", "by", "admin", "佚名", "未知"}
_TITLE_SUFFIX = re.compile(r"\s*(?:_|\s-\s|\s\|\s)\s*[^_|]{1,20}$")


@dataclass(frozen=True, slots=True)
class Article:
    """What extract_article found on one page."""

    url: str
    title: str
    text: str
    author: str = ""
    published_at: datetime | None = None
    flags: tuple[str, ...] = ()


def _select(sel: Selector, query: str) -> list[str]:
    """Outer HTML of the nodes a CSS or XPath query (XPath if it starts with '/' or '(') selects."""
    nodes = sel.xpath(query) if query.lstrip().startswith(("/", "(")) else sel.css(query)
    return [str(n) for n in nodes.getall()]


def _select_text(sel: Selector, query: str) -> str:
    if not query:
        return ""
    return "\n".join(t for t in (html_to_text(h) for h in _select(sel, query)) if t)


def _meta(root: Any, names: tuple[str, ...]) -> str:
    for name in names:
        for attr in ("property", "name", "itemprop"):
            found = root.xpath(f'//meta[translate(@{attr}, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")="{name.lower()}"]/@content')
            for value in found:
                if str(value).strip():
                    return str(value).strip()
    return ""


def _clean_title(title: str) -> str:
    title = inline(title)
    # "标题_频道_网站名": keep the headline when what remains is long enough to be one.
    while (m := _TITLE_SUFFIX.search(title)) and len(title[: m.start()]) >= 8:
        title = title[: m.start()]
    return title


def _clean_author(author: str) -> str:
    author = inline(author)
    return "" if author.strip(" :：").lower() in _AUTHOR_LABELS else author


def _published(root: Any, page_text: str, traf_date: str | None, now: datetime) -> datetime | None:
    meta = _meta(root, _DATE_META)
    if meta and (dt := parse_date(meta, now)) is not None:
        return dt
    # A full date with a time in the page (e.g. '发布时间：2024-03-05 10:20') beats trafilatura's
    # date-only answer when both name the same day, or when trafilatura found nothing.
    found = find_date(page_text[:20_000], now)
    traf = parse_date(traf_date, now) if traf_date else None
    if found is not None and (traf is None or abs(found - traf) < timedelta(days=1)):
        return found
    return traf


def _headline(root: Any) -> str:
    """The <h1> that starts the <title>: the most reliable headline on news pages ('标题_频道_网站')."""
    page_title = inline(" ".join(root.xpath("//title//text()")))
    for h1 in root.xpath("//h1"):
        text = inline(h1.text_content())
        if len(text) >= 6 and page_title.startswith(text):
            return text
    return ""


def extract_article(html: str, url: str, now: datetime, selectors: Selectors | None = None) -> Article:
    """Title, body, author and publish time of an article page; selectors win where given."""
    import trafilatura  # heavy import kept off module import time

    selectors = selectors or Selectors()
    sel = Selector(text=html or "<html></html>")
    try:
        root = lxml.html.document_fromstring(html or "<html></html>")
    except (ValueError, lxml.etree.ParserError):
        root = lxml.html.document_fromstring("<html></html>")
    title = _select_text(sel, selectors.title)
    text = _select_text(sel, selectors.body)
    author = _select_text(sel, selectors.author)
    date_text = _select_text(sel, selectors.published_at)
    flags: list[str] = []
    traf_date: str | None = None
    if not (title and text and author):
        doc = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=True,
        )
        if doc is not None and not isinstance(doc, dict):
            doc = doc.as_dict()
        if isinstance(doc, dict):
            title = title or str(doc.get("title") or "")
            text = text or str(doc.get("text") or "")
            author = author or _clean_author(str(doc.get("author") or "")) or _meta(root, _AUTHOR_META)
            traf_date = doc.get("date")
        else:
            flags.append("extractor_failed")
    if not selectors.title:
        title = _headline(root) or title
    if not title:
        title = inline(" ".join(root.xpath("//title//text()")))
    published = parse_date(date_text, now) if date_text else None
    if published is None:
        page_text = " ".join(root.xpath("//body//text()"))
        published = _published(root, page_text, traf_date, now)
    return Article(url=url, title=_clean_title(title), text=text.strip(), author=_clean_author(author),
                   published_at=published, flags=tuple(flags))


def article_item(article: Article, source_id: str, now: datetime, flags: tuple[str, ...] = ()) -> FetchedItem:
    """A FetchedItem from an extracted article."""
    return make_item(source_id=source_id, url=article.url, title=article.title, text=article.text, fetched_at=now,
                     published_at=article.published_at, author=article.author, flags=(*flags, *article.flags))


def preview_spec(url: str, kind: SourceKind = SourceKind.PAGE) -> SourceSpec:
    """A throw-away spec for previewing a URL (`yuqing fetch URL`)."""
    return SourceSpec(id="preview", name="preview", kind=kind, url=url)


def fetch_page(
    spec: SourceSpec | str,
    now: datetime,
    *,
    client: httpx.Client | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    check_robots: bool = True,
    robots_cache: dict[str, Protego | None] | None = None,
) -> FetchOutcome:
    """Fetch one article page (robots.txt obeyed) and extract it; failures are ok=False outcomes."""
    spec = preview_spec(spec) if isinstance(spec, str) else spec
    common: dict[str, Any] = {"source_id": spec.id, "started_at": now}
    if check_robots and not robots_allowed(spec.url, spec.user_agent, client=client, timeout_s=spec.timeout_s,
                                       cache=robots_cache):
        return FetchOutcome(ok=False, finished_at=now, error=f"robots.txt 禁止抓取 disallowed: {spec.url}",
                            flags=("robots_disallowed",), **common)
    raw = fetch_url(spec.url, etag=etag, last_modified=last_modified, timeout_s=spec.timeout_s,
                    max_bytes=spec.max_bytes, user_agent=spec.user_agent, client=client,
                    accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
    common.update(finished_at=now + timedelta(seconds=raw.elapsed_s), http_status=raw.status,
                  etag=(raw.etag or etag) if raw.not_modified else raw.etag,
                  last_modified=(raw.last_modified or last_modified) if raw.not_modified else raw.last_modified)
    if not raw.ok:
        return FetchOutcome(ok=False, error=raw.error, **common)
    if raw.not_modified:
        return FetchOutcome(ok=True, not_modified=True, **common)
    decoded = raw.decode(spec.encoding)
    article = extract_article(decoded.text, raw.final_url or spec.url, now, spec.selectors)
    if not article.text:
        return FetchOutcome(ok=False, error=f"未能提取正文 no article body extracted: {spec.url}",
                            flags=decoded.flags, **common)
    item = article_item(article, spec.id, now, decoded.flags)
    return FetchOutcome(ok=True, items=(item,), flags=decoded.flags, **common)
