from __future__ import annotations

from crawlers.charset import decode_body
from crawlers.fetch import fetch_url, robots_allowed
from tests.crawlers.conftest import Loopback

GBK_PAGE = "<html><head><title>示例县人民政府</title></head><body><p>关于做好春耕生产工作的通知</p></body></html>"


def test_ok_and_user_agent(server: Loopback) -> None:
    url = server.add("/a", "<p>hi</p>")
    raw = fetch_url(url, user_agent="yuqing-test/1")
    assert raw.ok and raw.status == 200 and raw.body == b"<p>hi</p>"
    assert server.hits_for("/a")[0].headers["user-agent"] == "yuqing-test/1"


def test_redirects_are_followed(server: Loopback) -> None:
    server.add("/old", redirect_to="/mid", status=301)
    server.add("/mid", redirect_to="/new", status=302)
    server.add("/new", "moved here")
    raw = fetch_url(server.url("/old"))
    assert raw.ok and raw.body == b"moved here" and raw.final_url == server.url("/new")


def test_redirect_loop_is_a_failure(server: Loopback) -> None:
    server.add("/loop1", redirect_to="/loop2")
    server.add("/loop2", redirect_to="/loop1")
    raw = fetch_url(server.url("/loop1"))
    assert not raw.ok and raw.error is not None and "redirect" in raw.error


def test_timeout_is_a_failure_not_an_exception(server: Loopback) -> None:
    url = server.add("/slow", "late", delay_s=1.5)
    raw = fetch_url(url, timeout_s=0.3)
    assert not raw.ok and raw.error is not None
    assert "timeout" in raw.error and url in raw.error and "\n" not in raw.error


def test_404_and_500(server: Loopback) -> None:
    url404 = server.url("/missing")
    raw = fetch_url(url404)
    assert not raw.ok and raw.status == 404 and raw.error is not None and "404" in raw.error and url404 in raw.error
    url500 = server.add("/boom", "err", status=500)
    raw = fetch_url(url500)
    assert not raw.ok and raw.status == 500 and raw.error is not None and "500" in raw.error


def test_connection_refused(server: Loopback) -> None:
    url = server.url("/x")
    server.close()
    raw = fetch_url(url, timeout_s=1)
    assert not raw.ok and raw.error is not None and url in raw.error


def test_oversized_response_is_aborted(server: Loopback) -> None:
    url = server.add("/big", b"x" * 50_000)
    raw = fetch_url(url, max_bytes=10_000)
    assert not raw.ok and raw.error is not None and "max_bytes=10000" in raw.error and raw.body == b""


def test_oversized_without_content_length_is_aborted(server: Loopback) -> None:
    # No Content-Length to check up front: the streaming cap stops the read.
    url = server.add("/chunky", b"y" * 50_000, no_length=True)
    raw = fetch_url(url, max_bytes=20_000)
    assert not raw.ok and raw.error is not None and "max_bytes=20000" in raw.error
    assert fetch_url(url, max_bytes=60_000).body == b"y" * 50_000


def test_gbk_page_without_charset(server: Loopback) -> None:
    url = server.add("/gbk", GBK_PAGE.encode("gbk"), content_type="text/html")
    raw = fetch_url(url)
    dec = raw.decode()
    assert dec.text == GBK_PAGE and dec.encoding == "gb18030" and dec.flags == ()


def test_charset_rules() -> None:
    gbk = GBK_PAGE.encode("gbk")
    assert decode_body(gbk, "text/html; charset=utf-8").flags == ("charset_mismatch",)
    assert decode_body(gbk, "text/html; charset=GB2312").text == GBK_PAGE
    meta = b'<meta http-equiv="Content-Type" content="text/html; charset=gb2312">' + gbk
    assert decode_body(meta).declared == "gb2312" and decode_body(meta).flags == ()
    utf16 = "\ufeff你好".encode("utf-16-le")
    assert decode_body(utf16).text == "你好"
    assert decode_body(b"\xef\xbb\xbf" + "你好".encode()).text == "你好"
    assert decode_body("你好".encode(), "text/html; charset=gbk").flags == ("charset_mismatch",)
    lossy = decode_body(gbk + b"\xff")
    assert "charset_lossy" in lossy.flags and lossy.text.startswith("<html><head><title>示例县")
    assert decode_body(gbk, override="gbk").flags == ("charset_overridden",)


def test_robots_allowed(server: Loopback) -> None:
    server.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    cache: dict[str, object] = {}
    assert robots_allowed(server.url("/news/1.html"), cache=cache)  # type: ignore[arg-type]
    assert not robots_allowed(server.url("/private/2.html"), cache=cache)  # type: ignore[arg-type]
    assert len(server.hits_for("/robots.txt")) == 1


def test_robots_missing_allows_and_5xx_denies(server: Loopback) -> None:
    assert robots_allowed(server.url("/anything"))
    server.add("/robots.txt", "oops", status=503)
    assert not robots_allowed(server.url("/anything"))
