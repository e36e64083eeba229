"""Find article links on a list page when no selector is configured (heuristics, documented here).

A link counts as an article when it stays on the list page's site and either its path looks like
an article address (a date such as /2024/03/05/, /202403/, t20240305_123.html; or a numeric id of
5+ digits in the last segment) or its anchor text is headline-long (>= 10 characters) on a path
at least two segments deep whose last segment is a page (.html, .shtml, .aspx...) or carries a
3+ digit number. Index/list/pagination pages, the list page itself, and links to
files (pdf, images, archives) are excluded.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import lxml.html

from crawlers.text import inline
from crawlers.urls import canonical_url, same_site

_DATE_PATH = re.compile(
    r"(?<!\d)(?:19|20)\d{2}(?:[-/_](?:0?[1-9]|1[0-2])|(?:0[1-9]|1[0-2]))(?:[-/_]?(?:0?[1-9]|[12]\d|3[01]))?(?!\d)"
)
_ID_SEGMENT = re.compile(r"\d{5,}")
_LISTY = re.compile(r"^(?:index|list|default|more|column|channel|node)(?:[_-]\d+)?(?:\.s?html?|\.aspx?|\.jsp|\.php)?$", re.I)
_FILES = re.compile(r"\.(?:pdf|docx?|xlsx?|pptx?|zip|rar|7z|jpe?g|png|gif|mp4|mp3|apk|exe)$", re.I)
_PAGE_SUFFIX = re.compile(r"\.(?:s?html?|htmlx|aspx?|jsp|php)$", re.I)
MIN_ANCHOR_CHARS = 10


def looks_like_article(url: str, anchor: str) -> bool:
    """The path/anchor-text heuristic of the module docstring."""
    path = urlsplit(url).path
    segments = [s for s in path.split("/") if s]
    if not segments or _FILES.search(path) or _LISTY.match(segments[-1]):
        return False
    if _DATE_PATH.search(path) or _ID_SEGMENT.search(segments[-1]):
        return True
    last = segments[-1]
    pagelike = bool(_PAGE_SUFFIX.search(last) or re.search(r"\d{3,}", last))
    return len(anchor) >= MIN_ANCHOR_CHARS and len(segments) >= 2 and pagelike


def find_article_links(html: str, base_url: str) -> list[str]:
    """Absolute article URLs on a list page, in page order, without duplicates."""
    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    seen: set[str] = {canonical_url(base_url)}
    out: list[str] = []
    for a in root.xpath("//a[@href]"):
        href = str(a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        url = canonical_url(href, base=base_url)
        if not url.startswith(("http://", "https://")) or url in seen or not same_site(url, base_url):
            continue
        if looks_like_article(url, inline(a.text_content())):
            seen.add(url)
            out.append(url)
    return out
