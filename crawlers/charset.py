"""Decode fetched bytes right: BOMs, declared charsets (HTTP header, XML declaration, <meta>), wrong
declarations and undeclared GB2312/GBK/GB18030, without guessing wildly.

Order: an explicit override (SourceSpec.encoding) wins; then a BOM; then strict UTF-8 if the bytes
are valid UTF-8 (valid multi-byte UTF-8 by accident is vanishingly rare in GBK text); then the
declared charset if the bytes decode strictly with it; then GB18030 (a superset of GB2312/GBK) if
valid. If nothing decodes strictly, the candidate with the fewest U+FFFD replacements is used and
the result is flagged. A declaration contradicted by the bytes is flagged ``charset_mismatch``.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", re.I)
_META = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.I)
# Declared names that mean a GB family: decode all of them as GB18030, their common superset.
_GB = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "ms936", "euc-cn", "hz-gb-2312", "gb_2312-80", "x-euc-cn"}


@dataclass(frozen=True, slots=True)
class Decoded:
    """Decoded text, the codec used, the charset the document declared, and flags."""

    text: str
    encoding: str
    declared: str | None
    flags: tuple[str, ...] = ()


def _norm(name: str | None) -> str | None:
    if not name:
        return None
    low = name.strip().lower()
    if low in _GB:
        return "gb18030"
    try:
        return codecs.lookup(low).name
    except LookupError:
        return None


def declared_charset(body: bytes, content_type: str | None) -> str | None:
    """Charset named by the Content-Type header, else by the XML declaration or a <meta> tag."""
    if content_type and (m := _HEADER_CHARSET.search(content_type)):
        return m.group(1)
    head = body[:4096]
    if (m2 := _XML_DECL.search(head)) or (m2 := _META.search(head)):
        return m2.group(1).decode("ascii", "replace")
    return None


def _strict(body: bytes, enc: str) -> str | None:
    try:
        return body.decode(enc)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_body(body: bytes, content_type: str | None = None, override: str | None = None) -> Decoded:
    """Decode body by the rules in the module docstring; never raises on bad bytes."""
    declared_raw = declared_charset(body, content_type)
    declared = _norm(declared_raw)
    if override:
        enc = _norm(override) or "utf-8"
        return Decoded(body.decode(enc, "replace"), enc, declared_raw, ("charset_overridden",))
    for bom, enc in _BOMS:
        if body.startswith(bom):
            flags = ("charset_mismatch",) if declared and declared not in (enc, "utf-8", "utf-16", "utf-32") else ()
            return Decoded(body[len(bom):].decode(enc, "replace"), enc, declared_raw, flags)
    if body.isascii():
        return Decoded(body.decode("ascii"), declared or "utf-8", declared_raw)
    text = _strict(body, "utf-8")
    if text is not None:
        mismatch = declared is not None and declared != "utf-8"
        return Decoded(text, "utf-8", declared_raw, ("charset_mismatch",) if mismatch else ())
    if declared and declared != "utf-8" and (text := _strict(body, declared)) is not None:
        return Decoded(text, declared, declared_raw)
    text = _strict(body, "gb18030")
    if text is not None:
        flags = ("charset_mismatch",) if declared and declared != "gb18030" else ()
        return Decoded(text, "gb18030", declared_raw, flags)
    candidates = [e for e in (declared, "utf-8", "gb18030") if e]
    best = min(candidates, key=lambda e: body.decode(e, "replace").count("\ufffd"))
    lossy = ["charset_lossy"]
    if declared and best != declared:
        lossy.append("charset_mismatch")
    return Decoded(body.decode(best, "replace"), best, declared_raw, tuple(lossy))
