from __future__ import annotations

from crawlers.crawl_list import crawl_list, scrapy_settings
from crawlers.types import Selectors, SourceKind, SourceSpec
from tests.crawlers.conftest import NOW, Loopback
from tests.crawlers.sitefixture import ARTICLES, serve_site


def list_spec(url: str, selectors: Selectors) -> SourceSpec:
    return SourceSpec(id="gov", name="示例市政府", kind=SourceKind.LIST, url=url, selectors=selectors,
                      download_delay_s=0.0, timeout_s=5.0, concurrent_requests_per_domain=4)


def test_list_crawl_with_pagination_and_robots(server: Loopback) -> None:
    serve_site(server)
    sel = Selectors(article_links="ul.news li a", next_page="a.next", max_pages=2)
    out = crawl_list(list_spec(server.url("/list1.html"), sel), NOW, timeout=60)
    assert out.ok, out.error
    titles = sorted(i.title for i in out.items)
    expected = sorted(ARTICLES[p][0] for p in ("/art/2024/3/5/art_1.html", "/art/2024/3/4/art_2.html",
                                               "/art/2024/3/2/art_4.html"))
    assert titles == expected
    # robots.txt obeyed: the private article was never requested
    assert server.hits_for("/private/art_3.html") == []
    assert "robots_disallowed:1" in out.flags and not any(f.startswith("article_errors") for f in out.flags)
    # max_pages=2: page 3 and its article were not fetched
    assert server.hits_for("/list3.html") == [] and server.hits_for("/art/2024/3/1/art_5.html") == []
    first = next(i for i in out.items if i.url.endswith("art_1.html"))
    assert first.canonical_url == server.url("/art/2024/3/5/art_1.html")
    assert first.author == "李明" and first.published_at is not None
    assert first.published_at.isoformat() == "2024-03-05T02:20:00+00:00"
    assert {h.headers["user-agent"] for h in server.hits} == {list_spec("", sel).user_agent}


def test_list_crawl_heuristic_links_and_failure(server: Loopback) -> None:
    serve_site(server)
    out = crawl_list(list_spec(server.url("/list1.html"), Selectors(max_pages=1)), NOW, timeout=60)
    assert out.ok, out.error
    assert {i.url for i in out.items} == {server.url("/art/2024/3/5/art_1.html"), server.url("/art/2024/3/4/art_2.html")}
    del server.routes["/art/2024/3/4/art_2.html"]  # now a 404: counted, the rest still read
    again = crawl_list(list_spec(server.url("/list1.html"), Selectors(max_pages=1)), NOW, timeout=60)
    assert again.ok and len(again.items) == 1 and "article_errors:1" in again.flags
    bad = crawl_list(list_spec(server.url("/nope.html"), Selectors()), NOW, timeout=60)
    assert not bad.ok and bad.error is not None and "404" in bad.error


def test_settings_come_from_spec() -> None:
    spec = SourceSpec(id="x", name="x", kind=SourceKind.LIST, url="http://x.cn/", download_delay_s=2.5,
                      concurrent_requests_per_domain=1, max_bytes=1234)
    s = scrapy_settings(spec)
    assert s["ROBOTSTXT_OBEY"] is True and s["DOWNLOAD_DELAY"] == 2.5
    assert s["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1 and s["DOWNLOAD_MAXSIZE"] == 1234


def test_list_crawl_timeout_is_a_failure(server: Loopback) -> None:
    server.add("/slow-list.html", "<a href='/art/2024/3/5/x.html'>x</a>", delay_s=8)
    out = crawl_list(list_spec(server.url("/slow-list.html"), Selectors()), NOW, timeout=2)
    assert not out.ok and "timeout" in out.flags
    assert out.error is not None and "timed out" in out.error and server.url("/slow-list.html") in out.error


def test_selector_queries_select_hrefs() -> None:
    from crawlers.spider import _href_query

    assert _href_query("ul.news li a") == "ul.news li a::attr(href)"
    assert _href_query("a.next::attr(href)") == "a.next::attr(href)"
    assert _href_query("//ul[@class='news']//a") == "//ul[@class='news']//a/@href"
    assert _href_query("//a[@class='next']/@href") == "//a[@class='next']/@href"


def test_list_crawl_size_cap(server: Loopback) -> None:
    serve_site(server)
    spec = SourceSpec(id="gov", name="示例市政府", kind=SourceKind.LIST, url=server.url("/list1.html"),
                      selectors=Selectors(max_pages=1), download_delay_s=0.0, timeout_s=5.0, max_bytes=900)
    out = crawl_list(spec, NOW, timeout=60)
    assert out.ok and out.items == ()  # the list page fits, both articles (> 900 bytes) are cut off
    assert "article_errors:2" in out.flags
