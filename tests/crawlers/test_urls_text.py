from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawlers.errors import RulesError
from crawlers.rules import load_rules, parse_rules
from crawlers.text import content_hash, html_to_text, normalise_for_hash
from crawlers.urls import canonical_url, same_site


@pytest.mark.parametrize(
    ("raw", "canon"),
    [
        ("HTTP://WWW.Example.COM:80/a/b/?utm_source=x&b=2&a=1&spm=1.2.3#top", "http://www.example.com/a/b?a=1&b=2"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://m.thepaper.cn/newsDetail_forward_1?from=timeline&isappinstalled=0", "https://www.thepaper.cn/newsDetail_forward_1"),
        ("https://3g.163.com/news/article/ABC.html", "https://www.163.com/news/article/ABC.html"),
        ("https://m.example.com/a", "https://m.example.com/a"),  # unknown mobile hosts stay
        ("http://x.cn/a/./b/../c//d/", "http://x.cn/a/c/d"),
        ("http://x.cn/新闻/1.html", "http://x.cn/%E6%96%B0%E9%97%BB/1.html"),
        ("http://x.cn/%E6%96%B0%e9%97%bb/1.html", "http://x.cn/%E6%96%B0%E9%97%BB/1.html"),
        ("https://x.cn/#/detail/3", "https://x.cn/#/detail/3"),
        ("https://x.cn/p?id=3&share_token=abc&wfr=spider&fr=x&scene=1&srcid=9", "https://x.cn/p?id=3"),
        ("https://mp.weixin.qq.com/s?__biz=MzA&mid=1&idx=1&sn=ab&chksm=cd&scene=21#wechat_redirect",
         "https://mp.weixin.qq.com/s?__biz=MzA&idx=1&mid=1&sn=ab"),
        ("https://user:pw@x.cn/a?", "https://x.cn/a"),
        ("", ""),
        ("mailto:a@b.cn", "mailto:a@b.cn"),
    ],
)
def test_canonical_url(raw: str, canon: str) -> None:
    assert canonical_url(raw) == canon
    assert canonical_url(canon) == canon or canon == ""  # idempotent


def test_canonical_relative() -> None:
    assert canonical_url("../b.html?utm_medium=x", base="http://x.cn/a/c/") == "http://x.cn/a/b.html"


def test_same_site() -> None:
    assert same_site("http://www.gov.cn/a", "https://sousuo.gov.cn/b") is False  # gov.cn is a suffix
    assert same_site("http://www.sz.gov.cn/a", "http://sz.gov.cn/b")
    assert same_site("http://news.163.com/a", "http://www.163.com/b")


def test_rules_file_validates() -> None:
    assert "spm" in load_rules().urls.tracking_params
    with pytest.raises(RulesError, match="tracking_params"):
        parse_rules({"urls": {"tracking_params": [1], "tracking_prefixes": []}})
    with pytest.raises(RulesError, match="imports"):
        parse_rules({"urls": {"tracking_params": [], "tracking_prefixes": [], "mobile_hosts": {}}})


def test_html_to_text() -> None:
    assert html_to_text("<script>alert(1)</script>Hello <b>世界</b>&amp;") == "Hello 世界&"
    assert html_to_text("&lt;script&gt;alert(1)&lt;/script&gt;标题") == "标题"
    assert html_to_text("<p>段落一</p><p>段落　二</p><br/>x") == "段落一\n段落 二\nx"
    assert html_to_text("a < b and c > d") == "a < b and c > d"
    assert html_to_text("<style>p{}</style><!-- c -->文") == "文"


def test_content_hash_folds_width_space_and_markup() -> None:
    a = content_hash("ＡＢＣ　标题", "<p>正文，内容</p>")
    assert a == content_hash("abc标题", " 正文,内容 ")
    assert a != content_hash("abc标题", "正文内容不同")
    assert normalise_for_hash("Ｈｅｌｌｏ　Ｗｏｒｌｄ") == "helloworld"


_SEG = st.text(alphabet="abcXYZ019-_.~新闻%/", min_size=0, max_size=12)
_PARAM = st.sampled_from(["id", "utm_source", "spm", "page", "from", "q", "share_token", "a"])


@given(
    st.sampled_from(["http", "https", "HTTP"]),
    st.sampled_from(["www.Example.cn", "m.thepaper.cn", "127.0.0.1:8080", "x.gov.cn:443", "x.cn:80"]),
    st.lists(_SEG, max_size=4),
    st.lists(st.tuples(_PARAM, st.text(alphabet="ab12新 ", max_size=4)), max_size=4),
    st.sampled_from(["", "#top", "#/route/1", "#!x"]),
)
def test_canonical_url_is_idempotent(scheme: str, host: str, segs: list[str], params: list[tuple[str, str]],
                                     frag: str) -> None:
    from urllib.parse import quote

    query = "&".join(f"{k}={quote(v)}" for k, v in params)
    url = f"{scheme}://{host}/{'/'.join(segs)}" + (f"?{query}" if query else "") + frag
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert "utm_source" not in once and "spm=" not in once and "#top" not in once
