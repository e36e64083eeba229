"""The generic list → article Scrapy spider. Runs only inside the crawl_list subprocess."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from crawlers.charset import decode_body
from crawlers.linkfinder import find_article_links
from crawlers.pages import article_item, extract_article
from crawlers.serial import item_to_dict
from crawlers.types import SourceSpec
from crawlers.urls import canonical_url


def _href_query(query: str) -> str:
    """Selectors name the <a> elements; we need their href."""
    q = query.strip()
    if q.startswith(("/", "(")):
        return q if q.endswith("@href") or "/@" in q.rsplit("]", 1)[-1] else q + "/@href"
    return q if "::attr(" in q else q + "::attr(href)"


def _content_type(response: Response) -> str:
    value = response.headers.get("Content-Type")
    return value.decode("latin-1") if value else ""


def _robots_refusal(failure: Failure) -> bool:
    # HttpError (4xx/5xx) is an IgnoreRequest too, but carries the response; robots.txt refusals do not.
    return isinstance(failure.value, IgnoreRequest) and getattr(failure.value, "response", None) is None


def emit(record: dict[str, Any]) -> None:
    """Write one protocol line (JSON) to stdout, flushed: the parent reads them as they come."""
    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stdout.flush()


class ListSpider(scrapy.Spider):
    """List page(s) → article pages, as one SourceSpec configures."""

    name = "yuqing_list"

    def __init__(self, spec: SourceSpec, now: datetime, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.now = now
        self.article_requests = 0
        self.list_pages = 0
        self.list_errors: list[str] = []
        self.article_errors: list[str] = []
        self.articles_without_body = 0

    async def start(self) -> AsyncIterator[Request]:
        """The first list page."""
        yield Request(self.spec.url, callback=self.parse_list, errback=self.list_failed, cb_kwargs={"page": 1})

    def parse_list(self, response: Response, page: int) -> Iterator[Request]:
        """Follow article links, then the next list page up to max_pages."""
        self.list_pages += 1
        sel = self.spec.selectors
        decoded = decode_body(response.body, _content_type(response), self.spec.encoding)
        if sel.article_links:
            html_sel = scrapy.Selector(text=decoded.text)
            q = _href_query(sel.article_links)
            nodes = html_sel.xpath(q) if q.startswith(("/", "(")) else html_sel.css(q)
            links = [canonical_url(h, base=response.url) for h in nodes.getall()]
        else:
            links = find_article_links(decoded.text, response.url)
        for link in links:
            if not link.startswith(("http://", "https://")) or self.article_requests >= self.spec.max_items:
                continue
            self.article_requests += 1
            yield Request(link, callback=self.parse_article, errback=self.article_failed)
        if sel.next_page and page < max(1, sel.max_pages):
            html_sel = scrapy.Selector(text=decoded.text)
            q = _href_query(sel.next_page)
            nxt = (html_sel.xpath(q) if q.startswith(("/", "(")) else html_sel.css(q)).get()
            if nxt:
                yield Request(canonical_url(nxt, base=response.url), callback=self.parse_list,
                              errback=self.list_failed, cb_kwargs={"page": page + 1})

    def parse_article(self, response: Response) -> None:
        """Extract one article and emit it as a protocol line."""
        decoded = decode_body(response.body, _content_type(response), self.spec.encoding)
        article = extract_article(decoded.text, response.url, self.now, self.spec.selectors)
        if not article.text:
            self.articles_without_body += 1
            return
        item = article_item(article, self.spec.id, self.now, decoded.flags)
        emit({"type": "item", "item": item_to_dict(item)})

    def _reason(self, failure: Failure) -> str:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        response = getattr(failure.value, "response", None)
        if response is not None:
            return f"{url}: HTTP {response.status}"
        return f"{url}: {failure.type.__name__ if failure.type else 'error'}: {' '.join(str(failure.value).split())[:200]}"

    def list_failed(self, failure: Failure) -> None:
        """A list page could not be fetched."""
        if _robots_refusal(failure):
            self.list_errors.append(f"{self._reason(failure)} (robots.txt 禁止抓取 disallowed)")
            return
        self.list_errors.append(self._reason(failure))

    def article_failed(self, failure: Failure) -> None:
        """An article page could not be fetched (robots.txt refusals are counted by Scrapy's stats)."""
        if _robots_refusal(failure):
            return
        self.article_errors.append(self._reason(failure))
