"""One entry point for the service: fetch any SourceSpec by its kind and get a FetchOutcome."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from crawlers.crawl_list import crawl_list
from crawlers.errors import CrawlerError
from crawlers.feeds import fetch_feed
from crawlers.imports import read_import
from crawlers.pages import fetch_page
from crawlers.types import FetchOutcome, SourceKind, SourceSpec


def import_path(spec: SourceSpec) -> Path:
    """The file an import source reads: its url as a path or a file:// URL."""
    if spec.url.startswith("file://"):
        return Path(unquote(urlsplit(spec.url).path))
    return Path(spec.url)


def fetch_source(
    spec: SourceSpec,
    now: datetime,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    client: httpx.Client | None = None,
    list_timeout_s: float = 300.0,
) -> FetchOutcome:
    """Fetch spec by kind (feed/rsshub/page/list/import); failures are ok=False outcomes, never raised."""
    if spec.kind in (SourceKind.FEED, SourceKind.RSSHUB):
        try:
            return fetch_feed(spec, etag, last_modified, now, client)
        except CrawlerError as exc:  # a spec without a route, for instance
            return FetchOutcome(source_id=spec.id, started_at=now, finished_at=now, ok=False, error=str(exc))
    if spec.kind == SourceKind.PAGE:
        return fetch_page(spec, now, client=client, etag=etag, last_modified=last_modified)
    if spec.kind == SourceKind.LIST:
        return crawl_list(spec, now, timeout=list_timeout_s)
    try:
        result = read_import(import_path(spec), spec.id, now)
    except CrawlerError as exc:
        return FetchOutcome(source_id=spec.id, started_at=now, finished_at=now, ok=False, error=f"{spec.url}: {exc}")
    flags = tuple(f"rejected:{reason}:{n}" for reason, n in sorted(result.rejected_by_reason.items()))
    return FetchOutcome(source_id=spec.id, started_at=now, finished_at=now, ok=True, items=result.items, flags=flags)
