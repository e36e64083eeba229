"""Text normalisation: HTML stripped, Traditional→Simplified, full-width folded, whitespace collapsed."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

_TAG_RE = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]{0,2000}>", re.S | re.I)
_WS_RE = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u3000]+")
_NL_RE = re.compile(r"\s*\n\s*")

# Full-width ASCII (U+FF01..U+FF5E) maps to ASCII by a fixed offset; the ideographic space to a space.
_KEEP = {0xFF01, 0xFF08, 0xFF09, 0xFF0C, 0xFF1A, 0xFF1B, 0xFF1F}
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F) if code not in _KEEP}
_FULLWIDTH[0x3000] = 0x20


@lru_cache(maxsize=1)
def _converter() -> Any:
    """Create the OpenCC t2s converter once, on first use (not at import)."""
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _traditional_re() -> re.Pattern[str]:
    """A character class of every character t2s changes, found by converting each CJK character once."""
    conv = _converter()
    chars = [chr(c) for c in (*range(0x3400, 0x4DC0), *range(0x4E00, 0xA000), *range(0xF900, 0xFB00))]
    out = str(conv.convert("\n".join(chars))).split("\n")
    changed = [c for c, o in zip(chars, out, strict=False) if c != o]
    return re.compile("[" + "".join(re.escape(c) for c in changed) + "]")


def to_simplified(text: str) -> str:
    """Convert Traditional Chinese characters to Simplified (OpenCC t2s)."""
    if not text:
        return text
    # Most input is already Simplified: a character-class search is far cheaper than a conversion.
    if _traditional_re().search(text) is None:
        return text
    return str(_converter().convert(text))


# Full-width letters, digits and symbols fold; the CJK punctuation every Chinese text is full of
# (，：；！？（）) stays as written (the patterns accept both widths), so most texts skip the translate.
_WIDE_RE = re.compile("[\uff02-\uff07\uff0a\uff0b\uff0d-\uff19\uff1c-\uff1e\uff20-\uff5e\u3000]")


def fold_width(text: str) -> str:
    """Fold full-width ASCII letters, digits and punctuation to half-width."""
    if _WIDE_RE.search(text) is None:
        return text
    return text.translate(_FULLWIDTH)


def strip_html(text: str) -> str:
    """Remove tags, scripts and comments and unescape entities, if the text looks like HTML."""
    if "<" in text and ">" in text:
        text = _TAG_RE.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return text


def normalize(text: str) -> str:
    """Apply every normalisation step, in the order that keeps each step's input clean."""
    if not text:
        return ""
    text = strip_html(text)
    text = to_simplified(text)
    text = fold_width(text)
    text = _WS_RE.sub(" ", text)
    if "\n" in text:
        text = _NL_RE.sub("\n", text)
    return text.strip()
