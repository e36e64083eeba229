from __future__ import annotations

from datetime import UTC, datetime

from crawlers.linkfinder import find_article_links, looks_like_article
from crawlers.pages import extract_article, fetch_page
from crawlers.types import Selectors, SourceKind, SourceSpec
from tests.crawlers.conftest import NOW, Loopback
from tests.crawlers.sitefixture import ARTICLES, article_html, serve_site

P1 = "/art/2024/3/5/art_1.html"


def test_extract_article_fields() -> None:
    art = extract_article(article_html(P1), "http://gov.example.cn" + P1, NOW)
    title, _, author, body = ARTICLES[P1]
    assert art.title == title
    assert body in art.text
    assert "版权所有" not in art.text
    assert art.author == author
    assert art.published_at == datetime(2024, 3, 5, 2, 20, tzinfo=UTC)


def test_selectors_win() -> None:
    html = article_html(P1)
    sel = Selectors(title="div.info", body="//div[@class='content']/p[1]", published_at="span.none")
    art = extract_article(html, "http://gov.example.cn" + P1, NOW, sel)
    assert art.title.startswith("发布时间")
    assert art.text == ARTICLES[P1][3]


def test_fetch_page_gbk_without_charset(server: Loopback) -> None:
    html = article_html(P1, charset="").replace('<meta charset="">', "")
    url = server.add("/gbk.html", html.encode("gbk"), content_type="text/html")
    out = fetch_page(SourceSpec(id="p", name="p", kind=SourceKind.PAGE, url=url, timeout_s=3), NOW)
    assert out.ok, out.error
    item = out.items[0]
    assert item.title == ARTICLES[P1][0] and "\ufffd" not in item.text
    assert ARTICLES[P1][3] in item.text


def test_fetch_page_robots_and_errors(server: Loopback) -> None:
    serve_site(server)
    denied = fetch_page(server.url("/private/art_3.html"), NOW)
    assert not denied.ok and "robots_disallowed" in denied.flags
    assert server.hits_for("/private/art_3.html") == []
    missing = fetch_page(server.url("/art/none.html"), NOW)
    assert not missing.ok and missing.http_status == 404
    ok = fetch_page(server.url(P1), NOW)
    assert ok.ok and ok.items[0].canonical_url == server.url(P1)


def test_link_heuristics() -> None:
    base = "http://gov.example.cn/list1.html"
    html = (
        '<a href="/art/2024/3/5/art_1.html">短</a><a href="/about.html">关于我们</a>'
        '<a href="/index_2.html">下一页下一页下一页下一页</a><a href="http://other.example.org/2024/03/05/x.html">外站文章标题很长很长很长</a>'
        '<a href="/news/show/123456">id</a><a href="/zwgk/tzgg/notice.html">关于做好二〇二四年春耕生产工作的通知</a>'
        '<a href="/files/2024/03/a.pdf">附件：二〇二四年工作要点全文下载</a>'
    )
    links = find_article_links(html, base)
    assert links == [
        "http://gov.example.cn/art/2024/3/5/art_1.html",
        "http://gov.example.cn/news/show/123456",
        "http://gov.example.cn/zwgk/tzgg/notice.html",
    ]
    assert looks_like_article("http://x.cn/c/2024-03/05/c_1130.htm", "")
    assert not looks_like_article("http://x.cn/list.html", "很长的锚文本很长的锚文本很长的锚文本")
