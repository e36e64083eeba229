"""Display helpers: store UTC, show Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from responder.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
DISPLAY_FORMAT = "%Y-%m-%d %H:%M"


def require_aware(dt: datetime, what: str = "datetime") -> datetime:
    """Return `dt` converted to UTC; refuse naive datetimes (their zone would be a guess)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise InvalidInput(f"{what} 必须带时区 (timezone-aware), got naive {dt.isoformat()}")
    return dt.astimezone(UTC)


def to_local(dt: datetime) -> datetime:
    """Convert an aware datetime to Asia/Shanghai local time."""
    return require_aware(dt).astimezone(SHANGHAI)


def format_local(dt: datetime | None, fmt: str = DISPLAY_FORMAT, *, end_of_day: bool = False) -> str:
    """Format as Asia/Shanghai local time; with end_of_day, local midnight shows as the previous day's 24:00."""
    if dt is None:
        return "—"
    local = to_local(dt)
    if end_of_day and (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        # A working-day deadline ends at 24:00 of its last day (民法典 第二百零三条); "24:00" reads right.
        previous = local - timedelta(days=1)
        return previous.strftime(fmt.replace("%H:%M", "24:00"))
    return local.strftime(fmt)


def format_duration(delta: timedelta) -> str:
    """Render a duration in Chinese: '2 小时 5 分钟', '12 分钟', '3 天 4 小时'."""
    total_minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(total_minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts: list[str] = []
    if days:
        parts.append(f"{days} 天")
    if hours:
        parts.append(f"{hours} 小时")
    if minutes or not parts:
        parts.append(f"{minutes} 分钟")
    return " ".join(parts)
