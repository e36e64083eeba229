"""Chinese and Arabic numerals read as numbers (三十二, 两, 十余, 上百, 1.2万, 数十, 二〇二四)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
# "数十", "几百": the text only says "some tens"; read the vague digit as its lower bound of two
# (a single ten would be written 十), and mark the figure approximate.
_VAGUE_DIGIT = 2

_CN_CHARS = "零〇一二两三四五六七八九十百千万亿"
# One pattern for a numeral phrase, used by figures.py; groups: approximate prefix, body, suffix.
NUMBER_PATTERN = (
    r"(?P<pre>上|近|约|逾|超过|超|达|多达)?"
    r"(?P<num>\d+(?:\.\d+)?\s*[万亿]?|[数几]?[" + _CN_CHARS + r"]+|[数几](?=[十百千万人名]))"
    r"(?P<suf>余|多|来)?"
)
NUMBER_RE = re.compile(NUMBER_PATTERN)


@dataclass(frozen=True, slots=True)
class Number:
    """A numeral read from text: its value and whether the text gave only an approximation."""

    value: float
    approximate: bool = False


def _parse_section(text: str) -> int:
    """Parse a numeral below 10,000 written with 十/百/千 (or none)."""
    total = 0
    digit: int | None = None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in "数几":
            digit = _VAGUE_DIGIT
        elif ch in _SMALL_UNITS:
            # "十二" has no leading digit: it means one ten.
            total += (1 if digit is None else digit) * _SMALL_UNITS[ch]
            digit = None
        else:
            raise ValueError(ch)
    if digit is not None:
        total += digit
    return total


def parse_chinese(text: str) -> int:
    """Parse a Chinese numeral: positional (二〇二四) or with units (三十二, 一万二千, 3亿 not here)."""
    if not text:
        raise ValueError("empty numeral")
    if all(ch in _DIGITS for ch in text) and len(text) > 1:
        # Digit-by-digit writing, as in years: 二〇二四 = 2024.
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total = 0
    section = ""
    for ch in text:
        if ch in _BIG_UNITS:
            value = _parse_section(section) if section else 1
            total = (total + value) * _BIG_UNITS[ch] if ch == "亿" else total + value * _BIG_UNITS[ch]
            section = ""
        else:
            section += ch
    if section:
        total += _parse_section(section)
    return total


def parse_number(text: str) -> Number | None:
    """Read one numeral phrase (e.g. "十余", "上百", "1.2万", "两", "数十"); None if it is not one."""
    match = NUMBER_RE.fullmatch(text.strip())
    if match is None:
        return None
    return number_from_match(match)


def number_from_match(match: re.Match[str]) -> Number | None:
    """Turn a NUMBER_RE match (or a pattern embedding NUMBER_PATTERN) into a Number."""
    body = match.group("num").replace(" ", "")
    approximate = bool(match.group("pre") and match.group("pre") in ("上", "近", "约", "逾", "超过", "超")) or bool(
        match.group("suf")
    )
    try:
        if body[0].isdigit():
            mult = 1
            if body[-1] in _BIG_UNITS:
                mult = _BIG_UNITS[body[-1]]
                body = body[:-1]
            value = float(body) * mult
        else:
            if body[0] in "数几":
                approximate = True
            value = float(_VAGUE_DIGIT) if body in ("数", "几") else float(parse_chinese(body))
    except (ValueError, KeyError):
        return None
    return Number(value, approximate)
