"""List crawls in a subprocess (a Twisted reactor cannot restart): parent API and child entry point.

Protocol: the parent writes {"spec": {...}, "now": ISO} as JSON on the child's stdin; the child
writes JSON lines on stdout: {"type": "item", "item": {...}} per article, then one
{"type": "stats", ...}. Logs go to stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from crawlers.errors import SpiderProtocolError
from crawlers.serial import item_from_dict, spec_from_dict, spec_to_dict
from crawlers.types import FetchedItem, FetchOutcome, SourceSpec

_PROJECT_ROOT = Path(__file__).resolve().parents[1]


def scrapy_settings(spec: SourceSpec) -> dict[str, Any]:
    """Scrapy settings for one crawl, all derived from the spec."""
    return {
        "ROBOTSTXT_OBEY": True,
        "USER_AGENT": spec.user_agent,
        "DOWNLOAD_DELAY": spec.download_delay_s,
        "RANDOMIZE_DOWNLOAD_DELAY": spec.download_delay_s > 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": spec.concurrent_requests_per_domain,
        "CONCURRENT_REQUESTS": max(spec.concurrent_requests_per_domain, 1),
        "DOWNLOAD_TIMEOUT": spec.timeout_s,
        "DOWNLOAD_MAXSIZE": spec.max_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_TIMES": 1,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "LOG_STDOUT": False,
        "REDIRECT_MAX_TIMES": 5,
        "HTTPCACHE_ENABLED": False,
        "AUTOTHROTTLE_ENABLED": False,
    }


def _child_main() -> int:
    """Entry point of `python -m crawlers.crawl_list`."""
    from scrapy.crawler import CrawlerProcess

    from crawlers.spider import ListSpider, emit

    job = json.loads(sys.stdin.read())
    spec = spec_from_dict(job["spec"])
    now = datetime.fromisoformat(job["now"])
    process = CrawlerProcess(settings=scrapy_settings(spec), install_root_handler=True)
    crawler = process.create_crawler(ListSpider)
    process.crawl(crawler, spec=spec, now=now)
    process.start()
    spider = crawler.spider
    stats = crawler.stats.get_stats() if crawler.stats else {}
    emit({
        "type": "stats",
        "list_pages": getattr(spider, "list_pages", 0),
        "article_requests": getattr(spider, "article_requests", 0),
        "list_errors": getattr(spider, "list_errors", []),
        "article_errors": getattr(spider, "article_errors", []),
        "articles_without_body": getattr(spider, "articles_without_body", 0),
        "robots_forbidden": int(stats.get("robotstxt/forbidden", 0)),
    })
    return 0


def _parse_output(lines: list[str]) -> tuple[list[FetchedItem], dict[str, Any] | None]:
    items: list[FetchedItem] = []
    stats: dict[str, Any] | None = None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if record.get("type") == "item":
                items.append(item_from_dict(record["item"]))
            elif record.get("type") == "stats":
                stats = record
        except (ValueError, KeyError, TypeError) as exc:
            raise SpiderProtocolError(f"crawl_list 输出第 {n} 行无效 bad protocol line {n}: {exc}") from exc
    return items, stats


def crawl_list(spec: SourceSpec, now: datetime, timeout: float = 300.0) -> FetchOutcome:
    """Crawl a list source in a fresh subprocess; returns its articles as one FetchOutcome."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    job = json.dumps({"spec": spec_to_dict(spec), "now": now.isoformat()}, ensure_ascii=False)
    common: dict[str, Any] = {"source_id": spec.id, "started_at": now}
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawlers.crawl_list"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, encoding="utf-8", env=env,
    )
    timed_out = False
    t0 = time.monotonic()
    try:
        out, err = proc.communicate(job, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.kill()
        out, err = proc.communicate()
    common["finished_at"] = now + timedelta(seconds=time.monotonic() - t0)
    try:
        items, stats = _parse_output(out.splitlines())
    except SpiderProtocolError as exc:
        return FetchOutcome(ok=False, error=f"{spec.url}: {exc}", **common)
    # Keep the first of any article reached twice (pagination overlap).
    unique = list({i.canonical_url: i for i in reversed(items)}.values())[::-1]
    if timed_out:
        return FetchOutcome(ok=False, items=tuple(unique), flags=("timeout",),
                            error=f"列表抓取超时 list crawl timed out after {timeout:g}s: {spec.url}", **common)
    if stats is None:
        tail = " ".join(err.strip().splitlines()[-1:])[:300] if err.strip() else f"exit code {proc.returncode}"
        return FetchOutcome(ok=False, items=tuple(unique), error=f"列表抓取进程失败 crawl process failed: {spec.url}: {tail}",
                            **common)
    flags: list[str] = []
    if stats["robots_forbidden"]:
        flags.append(f"robots_disallowed:{stats['robots_forbidden']}")
    if stats["article_errors"]:
        flags.append(f"article_errors:{len(stats['article_errors'])}")
    if stats["articles_without_body"]:
        flags.append(f"no_body:{stats['articles_without_body']}")
    if stats["list_pages"] == 0:
        reason = "; ".join(stats["list_errors"][:1]) or (
            "robots.txt 禁止抓取 disallowed" if stats["robots_forbidden"] else "no list page fetched")
        return FetchOutcome(ok=False, error=f"列表页抓取失败 list page failed: {spec.url}: {reason}",
                            flags=tuple(flags), **common)
    return FetchOutcome(ok=True, items=tuple(unique), flags=tuple(flags), **common)


if __name__ == "__main__":
    sys.exit(_child_main())
