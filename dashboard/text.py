"""Pure text helpers: escaping untrusted strings, Asia/Shanghai times, countdowns, grade colours."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from classifier.types import Grade

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Every character that Streamlit's markdown (CommonMark + GFM + its own directives such as
# :red[...], :material/icon: and $latex$) could turn into markup.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&=\"'])")

# Roman level beside the colour, so the grade reads without colour too (and no emoji font is needed).
GRADE_LEVEL: dict[Grade, str] = {
    Grade.EXTRAORDINARY: "Ⅰ级",
    Grade.MAJOR: "Ⅱ级",
    Grade.LARGE: "Ⅲ级",
    Grade.GENERAL: "Ⅳ级",
}

# Background colours for table cells (the official warning colours, lightened so text stays readable).
GRADE_BACKGROUND: dict[Grade, str] = {
    Grade.EXTRAORDINARY: "#d32f2f",
    Grade.MAJOR: "#f57c00",
    Grade.LARGE: "#fbc02d",
    Grade.GENERAL: "#1976d2",
}
GRADE_FOREGROUND: dict[Grade, str] = {
    Grade.EXTRAORDINARY: "#ffffff",
    Grade.MAJOR: "#ffffff",
    Grade.LARGE: "#000000",
    Grade.GENERAL: "#ffffff",
}
GRADE_COLOUR_NAME: dict[Grade, str] = {
    Grade.EXTRAORDINARY: "红色",
    Grade.MAJOR: "橙色",
    Grade.LARGE: "黄色",
    Grade.GENERAL: "蓝色",
}


# GFM turns bare URLs, www. names and e-mail addresses in *text* into links after parsing, so
# backslash escapes cannot stop it; a zero-width space inside the pattern does.
_AUTOLINKS = (
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(//)"), "\\1:\u200b\\2"),
    (re.compile(r"(?i)\bwww\."), "www\u200b."),
    (re.compile(r"@"), "@\u200b"),
)


def md_escape(text: str | None) -> str:
    """Escape an untrusted string so st.markdown shows it literally (no links, HTML, directives, latex)."""
    if not text:
        return ""
    flat = " ".join(str(text).split())  # newlines would start new markdown blocks
    for pattern, replacement in _AUTOLINKS:
        flat = pattern.sub(replacement, flat)
    return _MD_SPECIAL.sub(r"\\\1", flat)


def safe_url(url: str | None) -> str:
    """Return the URL if it is plain http(s), else an empty string (no javascript:, data:, …)."""
    if not url:
        return ""
    candidate = url.strip()
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    if any(ch in candidate for ch in "\x00\r\n\t <>\"'`"):
        return ""
    return candidate


def as_utc(moment: datetime) -> datetime:
    """Treat a naive datetime as UTC (SQLite drops the zone) and convert an aware one to UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_local(moment: datetime | None) -> datetime | None:
    """Convert a stored UTC time to Asia/Shanghai."""
    if moment is None:
        return None
    return as_utc(moment).astimezone(SHANGHAI)


def fmt_local(moment: datetime | None, *, seconds: bool = False) -> str:
    """Format a UTC time for display in Asia/Shanghai; '—' when unknown."""
    local = to_local(moment)
    if local is None:
        return "—"
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def fmt_duration(delta: timedelta) -> str:
    """Render a duration in Chinese, e.g. '1天2小时5分', '3分12秒' (absolute value)."""
    total = int(abs(delta.total_seconds()))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时{minutes}分"
    if hours:
        return f"{hours}小时{minutes:02d}分"
    return f"{minutes}分{secs:02d}秒"


def countdown(due_at: datetime, now: datetime) -> str:
    """'剩余 …' before the due time, '已超时 …' after it."""
    delta = as_utc(due_at) - as_utc(now)
    if delta.total_seconds() >= 0:
        return f"剩余 {fmt_duration(delta)}"
    return f"已超时 {fmt_duration(delta)}"


def urgency(due_at: datetime, started_at: datetime, now: datetime, warn_fraction: float = 0.8) -> str:
    """'breached' past due, 'warning' past warn_fraction of the clock, else 'ok'."""
    due, start, at = as_utc(due_at), as_utc(started_at), as_utc(now)
    if at >= due:
        return "breached"
    span = (due - start).total_seconds()
    if span > 0 and (at - start).total_seconds() >= warn_fraction * span:
        return "warning"
    return "ok"


def grade_label(grade: Grade | str | None) -> str:
    """Grade with its level, e.g. '重大（Ⅱ级·橙）'; '未定级' when there is none."""
    if grade is None or grade == "":
        return "未定级"
    try:
        g = Grade(grade)
    except ValueError:
        return str(grade)
    return f"{g.value}（{GRADE_LEVEL[g]}·{GRADE_COLOUR_NAME[g][0]}）"


def grade_style(grade: Grade | str | None) -> str:
    """CSS for a table cell holding a grade (used through pandas Styler, never as HTML)."""
    if not grade:
        return ""
    raw = str(grade).split("（")[0].strip()
    try:
        g = Grade(raw)
    except ValueError:
        return ""
    return f"background-color: {GRADE_BACKGROUND[g]}; color: {GRADE_FOREGROUND[g]}; font-weight: bold"
