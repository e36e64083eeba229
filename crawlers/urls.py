"""Canonical URLs: one spelling per article, so reprints of a link and re-crawls compare equal.

Rules (tables in rules.toml):
- scheme and host lower-cased; default ports (:80 for http, :443 for https) dropped; IDN hosts
  kept as given (lower-cased);
- the fragment is dropped, except hash-bang / hash-route fragments (``#!...``, ``#/...``) that
  single-page sites use as the article address;
- tracking parameters dropped (exact names in ``[urls] tracking_params``, prefixes such as
  ``utm_``/``share_`` in ``tracking_prefixes``), the remaining query sorted by name (stable for
  repeated names), blank ``?`` removed;
- known mobile hosts whose paths equal the desktop ones folded to the desktop host
  (``[urls.mobile_hosts]``: m.thepaper.cn → www.thepaper.cn, 3g.163.com → www.163.com ...);
- path: percent-encoding normalised (non-ASCII encoded as UTF-8, unreserved characters decoded),
  ``.``/``..`` segments resolved, duplicate slashes collapsed, an empty path becomes ``/`` and a
  trailing slash on a non-root path is removed (``/news/`` and ``/news`` are one page on the sites
  we watch; servers redirect one to the other).
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

from crawlers.rules import load_rules

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters left as-is when re-quoting a path: RFC 3986 pchar minus '%', plus '/'.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_MULTI_SLASH = re.compile(r"/{2,}")


def _is_tracking(name: str) -> bool:
    rules = load_rules().urls
    low = name.lower()
    return low in rules.tracking_params or low.startswith(rules.tracking_prefixes)


def _norm_path(path: str) -> str:
    if not path:
        return "/"
    path = quote(unquote(path), safe=_PATH_SAFE)
    path = _MULTI_SLASH.sub("/", path)
    # normpath also drops the trailing slash, which is the normalisation we want.
    path = posixpath.normpath(path)
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    if path in (".", ""):
        return "/"
    return path


def canonical_url(url: str, base: str | None = None) -> str:
    """Return the canonical spelling of url (resolved against base when relative); '' stays ''."""
    url = url.strip()
    if not url:
        return ""
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return url
    host = (parts.hostname or "").lower().rstrip(".")
    host = load_rules().urls.mobile_hosts.get(host, host)
    port = parts.port
    netloc = host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{port}"
    # userinfo (user:pass@) is dropped: it never identifies an article and must not be stored.
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    pairs.sort(key=lambda kv: kv[0])
    query = urlencode(pairs, quote_via=quote, safe="-._~")
    fragment = parts.fragment if parts.fragment.startswith(("!", "/")) else ""
    return urlunsplit((scheme, netloc, _norm_path(parts.path), query, fragment))


def same_site(a: str, b: str) -> bool:
    """True when two URLs share a registrable-looking domain (last two labels, three for .gov.cn etc.)."""
    return _site_key(a) == _site_key(b) and _site_key(a) != ""


_SECOND_LEVEL = {"com.cn", "gov.cn", "org.cn", "net.cn", "edu.cn", "ac.cn", "com.hk", "com.tw", "co.uk"}


def _site_key(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    labels = host.split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    if host.replace(".", "").isdigit() or host in ("localhost",):
        return host
    return ".".join(labels[-2:])
