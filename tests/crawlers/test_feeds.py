from __future__ import annotations

import dataclasses

from crawlers.feeds import fetch_feed, parse_feed, rsshub_url
from crawlers.types import SourceKind, SourceSpec
from tests.crawlers.conftest import NOW, Loopback, fixture_bytes

XML = "application/xml"


def spec(url: str, **kw: object) -> SourceSpec:
    return SourceSpec(id="s1", name="测试源", kind=SourceKind.FEED, url=url, timeout_s=3.0, **kw)  # type: ignore[arg-type]


def test_rss2_entries_become_items(server: Loopback) -> None:
    url = server.add("/rss2.xml", fixture_bytes("feeds/rss2.xml"), content_type=XML)
    out = fetch_feed(spec(url), None, None, NOW)
    assert out.ok and out.http_status == 200 and out.error is None
    assert len(out.items) == 2
    first = out.items[0]
    assert first.title == "示例市示例区一在建工地发生坍塌事故"
    assert first.canonical_url == "http://news.example.cn/2024/03/05/a1001.html"
    assert "alert" not in first.text and "<" not in first.text
    assert first.text.startswith("3月5日上午，示例区一处在建工地发生局部坍塌")
    assert first.published_at is not None and first.published_at.isoformat() == "2024-03-05T02:20:00+00:00"
    assert first.guid == "a1001"
    assert first.engagement.comments == 12
    assert first.author == "记者 张明"
    assert len(first.content_hash) == 64
    second = out.items[1]
    # zone-less feed dates are Asia/Shanghai
    assert second.published_at is not None and second.published_at.isoformat() == "2024-03-04T01:00:00+00:00"
    assert second.author == "示例市应急管理局"


def test_atom_relative_links_and_html_titles(server: Loopback) -> None:
    url = server.add("/atom.xml", fixture_bytes("feeds/atom.xml"), content_type="application/atom+xml")
    out = fetch_feed(spec(url), None, None, NOW)
    assert out.ok and len(out.items) == 2
    a = out.items[0]
    assert a.title == "示例区召开安全生产工作会议"
    # relative links resolve against the document URL (Atom/xml:base rules)
    assert a.url == server.url("/news/20240305/1.html")
    assert a.published_at is not None and a.published_at.isoformat() == "2024-03-05T07:30:00+00:00"
    assert a.author == "示例区融媒体中心"
    assert out.items[1].text == "检查覆盖全区学校食堂和农贸市场。"


def test_rss1_rdf() -> None:
    res = parse_feed(fixture_bytes("feeds/rss1.xml"), spec("http://rdf.example.cn/feed"), NOW)
    assert res.error is None and res.flags == ()
    assert [i.title for i in res.items] == ["示例县召开防汛工作部署会"]
    assert res.items[0].author == "示例县政府办"
    assert res.items[0].published_at is not None and res.items[0].published_at.hour == 2


def test_script_in_titles_is_inert() -> None:
    res = parse_feed(fixture_bytes("feeds/script_titles.xml"), spec("http://x.example.cn/f"), NOW)
    assert len(res.items) == 2
    for item in res.items:
        assert "<" not in item.title and "script" not in item.title.lower()
        assert "onerror" not in item.title
    assert res.items[0].title == "示例新闻"
    assert res.items[1].title == "另一条新闻"
    # a javascript: link is not kept as the item's address
    assert res.items[1].url.startswith("urn:yuqing:") and "bad_url" in res.items[1].flags


def test_ill_formed_feed_is_ingested_and_flagged(server: Loopback) -> None:
    url = server.add("/bad.xml", fixture_bytes("feeds/ill_formed.xml"), content_type=XML)
    out = fetch_feed(spec(url), None, None, NOW)
    assert out.ok
    assert "ill_formed_feed" in out.flags
    assert len(out.items) >= 1
    assert all("ill_formed_feed" in i.flags for i in out.items)
    assert out.items[0].title.startswith("示例镇召开村级换届工作会")


def test_hopeless_feed_is_a_failure(server: Loopback) -> None:
    url = server.add("/hopeless.xml", fixture_bytes("feeds/hopeless.xml"), content_type=XML)
    out = fetch_feed(spec(url), None, None, NOW)
    assert not out.ok and out.items == ()
    assert out.error is not None and "\n" not in out.error
    assert url in out.error


def test_feed_declared_utf8_but_gbk(server: Loopback) -> None:
    text = fixture_bytes("feeds/rss2.xml").decode("utf-8")
    body = text.encode("gbk")
    url = server.add("/gbk.xml", body, content_type="application/xml; charset=utf-8")
    out = fetch_feed(spec(url), None, None, NOW)
    assert out.ok, out.error
    assert "charset_mismatch" in out.flags
    assert out.items[0].title == "示例市示例区一在建工地发生坍塌事故"
    assert "\ufffd" not in out.items[0].text


def test_feed_gb2312_declared_in_xml_only(server: Loopback) -> None:
    text = fixture_bytes("feeds/rss1.xml").decode("utf-8").replace('encoding="utf-8"', 'encoding="gb2312"')
    url = server.add("/gb.xml", text.encode("gb2312"), content_type="text/xml")
    out = fetch_feed(spec(url), None, None, NOW)
    assert out.ok and out.items[0].title == "示例县召开防汛工作部署会"
    assert "charset_mismatch" not in out.flags


def test_feed_with_bom(server: Loopback) -> None:
    body = b"\xef\xbb\xbf" + fixture_bytes("feeds/rss1.xml")
    url = server.add("/bom.xml", body, content_type="text/xml")
    out = fetch_feed(spec(url), None, None, NOW)
    assert out.ok and out.items[0].title == "示例县召开防汛工作部署会"


def test_encoding_override_wins(server: Loopback) -> None:
    body = fixture_bytes("feeds/rss1.xml").decode("utf-8").encode("gb18030")
    url = server.add("/ov.xml", body, content_type="text/xml; charset=utf-8")
    out = fetch_feed(spec(url, encoding="gbk"), None, None, NOW)
    assert out.ok and "charset_overridden" in out.flags
    assert out.items[0].title == "示例县召开防汛工作部署会"


def test_conditional_get_etag_and_last_modified(server: Loopback) -> None:
    lm = "Tue, 05 Mar 2024 02:00:00 GMT"
    url = server.add("/c.xml", fixture_bytes("feeds/rss2.xml"), content_type=XML, etag='"v1"', last_modified=lm)
    first = fetch_feed(spec(url), None, None, NOW)
    assert first.ok and first.etag == '"v1"' and first.last_modified == lm and len(first.items) == 2
    second = fetch_feed(spec(url), first.etag, first.last_modified, NOW)
    assert second.ok and second.not_modified and second.items == () and second.http_status == 304
    assert second.etag == '"v1"'
    hit = server.hits_for("/c.xml")[-1]
    assert hit.headers["if-none-match"] == '"v1"' and hit.headers["if-modified-since"] == lm


def test_conditional_get_last_modified_only(server: Loopback) -> None:
    lm = "Tue, 05 Mar 2024 02:00:00 GMT"
    url = server.add("/lm.xml", fixture_bytes("feeds/rss2.xml"), content_type=XML, last_modified=lm)
    out = fetch_feed(spec(url), None, lm, NOW)
    assert out.ok and out.not_modified


def test_rsshub_route_and_engagement(server: Loopback) -> None:
    server.add("/weibo/user/1234567", fixture_bytes("feeds/weibo_rsshub.xml"), content_type=XML)
    s = SourceSpec(id="wb", name="示例市发布", kind=SourceKind.RSSHUB, url=server.base + "/",
                   rsshub_route="/weibo/user/1234567", timeout_s=3.0)
    assert rsshub_url(s) == server.base + "/weibo/user/1234567"
    out = fetch_feed(s, None, None, NOW)
    assert out.ok and len(out.items) == 1
    item = out.items[0]
    assert item.engagement.reposts == 12000 and item.engagement.comments == 356 and item.engagement.likes == 2048
    assert item.author == "示例市发布"
    assert item.canonical_url == "https://m.weibo.cn/status/NxYz1"


def test_recrawl_is_deterministic(server: Loopback) -> None:
    url = server.add("/d.xml", fixture_bytes("feeds/rss2.xml"), content_type=XML)
    runs = [fetch_feed(spec(url), None, None, NOW) for _ in range(10)]
    keys = {tuple((i.canonical_url, i.content_hash, i.fingerprint) for i in r.items) for r in runs}
    assert len(keys) == 1


def test_items_are_frozen() -> None:
    res = parse_feed(fixture_bytes("feeds/rss1.xml"), spec("http://rdf.example.cn/feed"), NOW)
    item = res.items[0]
    try:
        item.title = "x"  # type: ignore[misc]
    except dataclasses.FrozenInstanceError:
        return
    raise AssertionError("FetchedItem must be frozen")
