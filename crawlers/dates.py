"""Chinese (and RFC 822 / ISO 8601) date strings → timezone-aware UTC datetimes.

Forms understood (``now`` is always a parameter; naive values are in ``default_tz``, Asia/Shanghai):
absolute ``2024年3月5日 10:20``, ``2024年03月05日10时20分``, ``2024-03-05``, ``2024/3/5 10:20:30``,
``2024.03.05``, ``20240305``, ``二〇二四年三月五日``, a weekday between date and time
(``2024年3月5日 星期二 10:20``), ``10时20分30秒`` / ``晚上8点``; ISO 8601 with or without zone (``2024-03-05T10:20:00+08:00``, ``Z``);
RFC 822 (``Tue, 05 Mar 2024 02:20:00 GMT``); zones ``Z``, ``+08:00``, ``GMT+8``, ``北京时间``, ``CST`` (China); Unix timestamps in seconds or milliseconds; year-less
``3月5日 10:20`` / ``03-05 10:20`` (year taken from ``now``, one year back if that lands in the
future); ``今天/昨天/前天/大前天 10:20``, a bare ``10:20`` (today); relative ``刚刚``, ``5秒前``,
``5分钟前``, ``半小时前``, ``3小时前``, ``2天前``, ``1周前``, ``2个月前`` (months as 30 days).
``上午/下午/晚上`` before the time shift it to 12-hour clock. Anything else → None.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Shanghai"

_TIME = (
    r"(?:\s*(?P<ampm>上午|下午|晚上|中午|凌晨|早上|AM|PM|am|pm)?\s*(?P<H>\d{1,2})\s*"
    r"(?:[:：]\s*(?P<M>\d{1,2})|[时点]\s*(?:(?P<M2>\d{1,2})\s*分?)?)"
    r"(?:\s*[:：]\s*(?P<S>\d{1,2})|\s*(?P<S2>\d{1,2})\s*秒)?(?:\.\d+)?)?"
)
_ZONE = r"\s*(?P<zone>Z|[+-]\d{2}:?\d{2}|(?:UTC|GMT)\s*[+-]\s*\d{1,2}(?::?\d{2})?|UTC|GMT|CST|北京时间)?"
# "2024年3月5日 星期二 10:20": government pages often print the weekday between date and time.
_WEEKDAY = r"(?:\s*[（(]?\s*(?:星期|周|礼拜)[一二三四五六日天]\s*[）)]?)?"
_FULL = re.compile(
    r"(?P<y>\d{4})\s*(?:年|-|/|\.)\s*(?P<m>\d{1,2})\s*(?:月|-|/|\.)\s*(?P<d>\d{1,2})\s*日?" + _WEEKDAY
    + r"(?:T|\s)*" + _TIME + _ZONE
)
# Official documents date themselves in Chinese numerals: 二〇二四年三月五日.
_CN_DATE = re.compile(r"([〇○零一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月\s*([一二三四五六七八九十]{1,3})\s*日")
_CN_DIGITS = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"○": "0", "零": "0"}
_COMPACT = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:\s*(?P<H>\d{2}):?(?P<M>\d{2})(?::?(?P<S>\d{2}))?)?$")
_NO_YEAR = re.compile(r"(?<!\d)(?P<m>\d{1,2})\s*(?:月|-|/)\s*(?P<d>\d{1,2})\s*日?" + _WEEKDAY + _TIME)
_DAY_WORD = re.compile(r"(?P<w>大前天|前天|昨天|昨日|今天|今日)" + _TIME)
_CLOCK_ONLY = re.compile(r"^" + _TIME + r"$")
# No bare 日/月 units: "3月5日前" and "2024年3月前" are dates ("before 5 March"), not "5 days ago".
_AGO = re.compile(r"(?P<n>\d+|半|一|两|几)\s*(?P<u>秒|分钟|分|小时|个小时|天|周|星期|个月|年)\s*(?:之)?前")
_JUST = re.compile(r"刚刚|刚才|片刻前|just now", re.I)
_EPOCH = re.compile(r"^\d{10}(?:\d{3})?$")

_UNIT_SECONDS = {
    "秒": 1, "分钟": 60, "分": 60, "小时": 3600, "个小时": 3600, "天": 86400,
    "周": 7 * 86400, "星期": 7 * 86400, "个月": 30 * 86400, "年": 365 * 86400,
}
_DAY_OFFSET = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2, "大前天": 3}


def _cn_number(text: str) -> int:
    """一..九十九 in Chinese numerals (十一 = 11, 二十三 = 23, 三十 = 30)."""
    if "十" not in text:
        return int(_CN_DIGITS[text])
    tens, _, units = text.partition("十")
    return (int(_CN_DIGITS[tens]) if tens else 1) * 10 + (int(_CN_DIGITS[units]) if units else 0)


def _cn_date(m: re.Match[str]) -> str:
    year = "".join(_CN_DIGITS[c] for c in m.group(1))
    try:
        return f"{year}年{_cn_number(m.group(2))}月{_cn_number(m.group(3))}日"
    except (KeyError, ValueError):
        return m.group(0)


def _zone(name: str | None, default: tzinfo) -> tzinfo:
    if not name:
        return default
    if name[:3] in ("UTC", "GMT") and len(name) > 3:
        sign = -1 if "-" in name else 1
        digits = name[3:].strip(" +-").replace(":", "")
        hours, minutes = (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    if name in ("北京时间", "CST"):
        # "CST" on Chinese sites means China Standard Time, not US Central.
        return ZoneInfo(DEFAULT_TZ)
    if name in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if name[0] == "-" else 1
    digits = name[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def _hour(h: int, ampm: str | None) -> int:
    if ampm in ("下午", "晚上", "PM", "pm") and h < 12:
        return h + 12
    if ampm in ("中午",) and h < 11:
        return h + 12
    if ampm in ("凌晨", "上午", "早上", "AM", "am") and h == 12:
        return 0
    return h


def _build(y: int, mo: int, d: int, m: re.Match[str] | None, tz: tzinfo) -> datetime | None:
    hh = mm = ss = 0
    groups = m.groupdict() if m is not None else {}
    if groups.get("H"):
        hh = _hour(int(groups["H"]), groups.get("ampm"))
        mm = int(groups.get("M") or groups.get("M2") or 0)
        ss = int(groups.get("S") or groups.get("S2") or 0)
    try:
        return datetime(y, mo, d, hh, mm, ss, tzinfo=tz).astimezone(UTC)
    except ValueError:
        return None


def parse_date(value: str, now: datetime, default_tz: str = DEFAULT_TZ) -> datetime | None:
    """Parse one date string (see module doc) into an aware UTC datetime, or None if not a date."""
    if not value:
        return None
    s = unicodedata.normalize("NFKC", value).strip()
    if not s:
        return None
    if "年" in s:
        s = _CN_DATE.sub(_cn_date, s)
    tz = ZoneInfo(default_tz)
    now_utc = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    local_now = now_utc.astimezone(tz)

    if _EPOCH.match(s):
        secs = int(s) / (1000 if len(s) == 13 else 1)
        return datetime.fromtimestamp(secs, UTC)
    if _JUST.search(s):
        return now_utc
    if (m := _AGO.search(s)) is not None:
        n = {"半": 0.5, "一": 1, "两": 2, "几": 3}.get(m["n"])
        amount = n if n is not None else float(m["n"])
        return now_utc - timedelta(seconds=amount * _UNIT_SECONDS[m["u"]])
    if re.match(r"^[A-Za-z]{3},|^\d{1,2}\s+[A-Za-z]{3}\s+\d{4}", s):
        try:
            dt = parsedate_to_datetime(s)
        except (TypeError, ValueError, IndexError):
            dt = None
        if dt is not None:
            return (dt if dt.tzinfo else dt.replace(tzinfo=tz)).astimezone(UTC)
    if (m := _FULL.search(s)) is not None:
        return _build(int(m["y"]), int(m["m"]), int(m["d"]), m, _zone(m["zone"], tz))
    if (m := _COMPACT.match(s)) is not None:
        return _build(int(m["y"]), int(m["m"]), int(m["d"]), m, tz)
    if (m := _DAY_WORD.search(s)) is not None:
        day = local_now.date() - timedelta(days=_DAY_OFFSET[m["w"]])
        return _build(day.year, day.month, day.day, m, tz)
    if (m := _NO_YEAR.search(s)) is not None:
        dt = _build(local_now.year, int(m["m"]), int(m["d"]), m, tz)
        if dt is not None and dt > now_utc + timedelta(days=1):
            # A year-less date in the future is last year's ("12月30日" read on 1 January).
            dt = _build(local_now.year - 1, int(m["m"]), int(m["d"]), m, tz)
        return dt
    if (m := _CLOCK_ONLY.match(s)) is not None and m["H"]:
        dt = _build(local_now.year, local_now.month, local_now.day, m, tz)
        if dt is not None and dt > now_utc + timedelta(minutes=5):
            dt -= timedelta(days=1)
        return dt
    try:
        iso = datetime.fromisoformat(s)
    except ValueError:
        return None
    return (iso if iso.tzinfo else iso.replace(tzinfo=tz)).astimezone(UTC)


def find_date(text: str, now: datetime, default_tz: str = DEFAULT_TZ) -> datetime | None:
    """First full date (with year) found anywhere in text, e.g. in a page's '发布时间：' line."""
    m = _FULL.search(_CN_DATE.sub(_cn_date, unicodedata.normalize("NFKC", text)))
    if m is None:
        return None
    tz = ZoneInfo(default_tz)
    return _build(int(m["y"]), int(m["m"]), int(m["d"]), m, _zone(m["zone"], tz))
