"""HTTP fetching with httpx: timeouts, redirects, a size cap, conditional GET, failures as data."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx
from protego import Protego

from crawlers.charset import Decoded, decode_body

DEFAULT_USER_AGENT = "yuqing/0.1 (+public-opinion response monitoring)"
MAX_REDIRECTS = 5
ROBOTS_MAX_BYTES = 512_000


@dataclass(frozen=True, slots=True)
class RawResponse:
    """One HTTP exchange's result; ok=False carries a one-line error naming the URL and the cause."""

    url: str  # the URL asked for
    ok: bool
    final_url: str = ""
    status: int | None = None
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    error: str | None = None
    elapsed_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)

    def decode(self, override: str | None = None) -> Decoded:
        """Decode the body with the charset rules of crawlers.charset."""
        return decode_body(self.body, self.content_type, override)


def make_client(timeout_s: float = 20.0, user_agent: str = DEFAULT_USER_AGENT) -> httpx.Client:
    """An httpx client with our defaults; reuse one per process for connection pooling."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout_s),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
        trust_env=False,
    )


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:300]


def _describe(exc: Exception, timeout_s: float) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"超时 timeout after {timeout_s:g}s ({type(exc).__name__})"
    if isinstance(exc, httpx.TooManyRedirects):
        return f"重定向过多 too many redirects (> {MAX_REDIRECTS})"
    if isinstance(exc, httpx.ConnectError):
        return f"无法连接 connection failed: {_one_line(str(exc)) or type(exc).__name__}"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return f"网址无效 invalid URL: {_one_line(str(exc))}"
    return f"网络错误 {type(exc).__name__}: {_one_line(str(exc))}"


def fetch_url(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout_s: float = 20.0,
    max_bytes: int = 10_000_000,
    user_agent: str = DEFAULT_USER_AGENT,
    client: httpx.Client | None = None,
    accept: str = "*/*",
) -> RawResponse:
    """GET url (conditional when etag/last_modified given), streaming and aborting above max_bytes."""
    own = client is None
    cl = client if client is not None else make_client(timeout_s, user_agent)
    headers = {"User-Agent": user_agent, "Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    t0 = time.monotonic()
    try:
        with cl.stream("GET", url, headers=headers, timeout=timeout_s) as resp:
            common = {
                "url": url,
                "final_url": str(resp.url),
                "status": resp.status_code,
                "content_type": resp.headers.get("content-type"),
                "etag": resp.headers.get("etag"),
                "last_modified": resp.headers.get("last-modified"),
                "headers": dict(resp.headers),
            }
            if resp.status_code == 304:
                return RawResponse(ok=True, not_modified=True, elapsed_s=time.monotonic() - t0,
                                   **common)
            if resp.status_code >= 400:
                reason = resp.reason_phrase or ""
                return RawResponse(ok=False, error=f"抓取失败 {url}: HTTP {resp.status_code} {reason}".strip(),
                                   elapsed_s=time.monotonic() - t0, **common)
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                return _too_big(url, max_bytes, t0, common)
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    return _too_big(url, max_bytes, t0, common)
                chunks.append(chunk)
            return RawResponse(ok=True, body=b"".join(chunks), elapsed_s=time.monotonic() - t0,
                               **common)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return RawResponse(url=url, ok=False, error=f"抓取失败 {url}: {_describe(exc, timeout_s)}",
                           elapsed_s=time.monotonic() - t0)
    finally:
        if own:
            cl.close()


def _too_big(url: str, max_bytes: int, t0: float, common: dict[str, object]) -> RawResponse:
    return RawResponse(
        ok=False,
        error=f"抓取失败 {url}: 响应过大 response larger than max_bytes={max_bytes}, aborted",
        elapsed_s=time.monotonic() - t0,
        **common,  # type: ignore[arg-type]
    )


def robots_url(url: str) -> str:
    """The robots.txt URL of url's site."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


def robots_allowed(
    url: str,
    user_agent: str = DEFAULT_USER_AGENT,
    *,
    client: httpx.Client | None = None,
    timeout_s: float = 10.0,
    cache: dict[str, Protego | None] | None = None,
) -> bool:
    """Whether robots.txt lets user_agent fetch url: missing/4xx robots.txt allows, 5xx/unreachable denies."""
    key = robots_url(url)
    if cache is not None and key in cache:
        parser = cache[key]
    else:
        raw = fetch_url(key, timeout_s=timeout_s, max_bytes=ROBOTS_MAX_BYTES, user_agent=user_agent,
                        client=client, accept="text/plain")
        if raw.ok:
            parser = Protego.parse(raw.body.decode("utf-8", "replace"))
        elif raw.status is not None and 400 <= raw.status < 500:
            parser = None  # no robots.txt: everything is allowed
        else:
            # Server errors and unreachable hosts: RFC 9309 says assume complete disallow.
            parser = Protego.parse("User-agent: *\nDisallow: /")
        if cache is not None:
            cache[key] = parser
    return True if parser is None else bool(parser.can_fetch(url, user_agent))
