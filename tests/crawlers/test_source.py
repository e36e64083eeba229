from __future__ import annotations

import json
from pathlib import Path

from crawlers.feeds import parse_feed
from crawlers.pages import fetch_page
from crawlers.serial import item_from_dict, item_to_dict, spec_from_dict, spec_to_dict
from crawlers.source import fetch_source
from crawlers.types import Selectors, SourceKind, SourceSpec
from tests.crawlers.conftest import NOW, Loopback, fixture_bytes
from tests.crawlers.sitefixture import serve_site


def test_json_feed() -> None:
    res = parse_feed(fixture_bytes("feeds/feed.json"), SourceSpec(id="j", name="j", kind=SourceKind.FEED, url="x"), NOW)
    assert res.error is None and len(res.items) == 2
    a, b = res.items
    assert a.canonical_url == "https://json.example.cn/p/1" and a.text == "今日上午示例路发生两车相撞事故，无人员死亡。"
    assert a.author == "示例市发布" and a.published_at is not None and a.published_at.hour == 2
    assert b.title == "" and b.canonical_url.startswith("urn:yuqing:j:")


def test_fetch_source_dispatches_by_kind(server: Loopback, tmp_path: Path) -> None:
    feed = SourceSpec(id="f", name="f", kind=SourceKind.FEED,
                      url=server.add("/f.xml", fixture_bytes("feeds/rss1.xml"), content_type="text/xml"))
    assert fetch_source(feed, NOW).ok
    no_route = SourceSpec(id="r", name="r", kind=SourceKind.RSSHUB, url=server.base)
    out = fetch_source(no_route, NOW)
    assert not out.ok and out.error is not None and "rsshub_route" in out.error
    path = tmp_path / "hotline.jsonl"
    path.write_text('{"留言主题": "示例", "留言详情": "内容"}\nbad\n', encoding="utf-8")
    imp = fetch_source(SourceSpec(id="i", name="i", kind=SourceKind.IMPORT, url=path.as_uri()), NOW)
    assert imp.ok and len(imp.items) == 1 and imp.flags == ("rejected:invalid_json:1",)
    missing = fetch_source(SourceSpec(id="i", name="i", kind=SourceKind.IMPORT, url=str(tmp_path / "no.csv")), NOW)
    assert not missing.ok
    serve_site(server)
    page = fetch_source(SourceSpec(id="p", name="p", kind=SourceKind.PAGE, url=server.url("/art/2024/3/5/art_1.html")), NOW)
    assert page.ok and len(page.items) == 1


def test_page_refetch_is_deterministic_and_conditional(server: Loopback) -> None:
    serve_site(server)
    path = "/art/2024/3/4/art_2.html"
    server.routes[path].etag = '"p2"'
    spec = SourceSpec(id="p", name="p", kind=SourceKind.PAGE, url=server.url(path))
    outs = [fetch_page(spec, NOW) for _ in range(10)]
    assert len({(o.items[0].canonical_url, o.items[0].content_hash, o.items[0].fingerprint) for o in outs}) == 1
    again = fetch_page(spec, NOW, etag=outs[0].etag)
    assert again.ok and again.not_modified and again.items == ()


def test_validators_follow_the_response(server: Loopback) -> None:
    url = server.add("/nov.xml", fixture_bytes("feeds/rss1.xml"), content_type="text/xml")
    out = fetch_source(SourceSpec(id="f", name="f", kind=SourceKind.FEED, url=url), NOW, etag='"old"')
    assert out.ok and out.etag is None  # a 200 without ETag drops the stale one


def test_serialisation_round_trip() -> None:
    spec = SourceSpec(id="s", name="名", kind=SourceKind.LIST, url="http://x.cn/", selectors=Selectors(body="div"),
                      unit_hints=("示例市",))
    assert spec_from_dict(json.loads(json.dumps(spec_to_dict(spec)))) == spec
    item = parse_feed(fixture_bytes("feeds/rss2.xml"), spec, NOW).items[0]
    assert item_from_dict(json.loads(json.dumps(item_to_dict(item)))) == item
