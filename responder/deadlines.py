"""Clock arithmetic: wall-clock hours 24×7 in UTC, working days on the Chinese calendar (调休 included)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from responder.errors import CalendarNotCovered, InvalidInput
from responder.times import SHANGHAI, require_aware
from responder.types import LimitUnit


class WorkCalendar(Protocol):
    """Answers whether a local (Asia/Shanghai) date is a working day; raises CalendarNotCovered if unknown."""

    def is_workday(self, day: date) -> bool:
        """True on a working day (incl. make-up workdays), False on weekends and statutory holidays."""
        ...


class ChineseWorkCalendar:
    """The statutory calendar of the `chinese_calendar` package (weekends, holidays, 调休 make-up days)."""

    def __init__(self) -> None:
        self._cache: dict[date, bool] = {}

    def is_workday(self, day: date) -> bool:
        """True on a working day; CalendarNotCovered for a year the package has no data for."""
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        # Imported here, not at module import: no work at import time.
        import chinese_calendar

        try:
            result = bool(chinese_calendar.is_workday(day))
        except NotImplementedError as exc:
            raise CalendarNotCovered(
                f"工作日日历未覆盖 {day.year} 年（chinese_calendar 无该年数据，拒绝猜测；请升级 chinesecalendar）: {exc}"
            ) from exc
        self._cache[day] = result
        return result


_default_calendar: ChineseWorkCalendar | None = None


def default_calendar() -> ChineseWorkCalendar:
    """The shared Chinese working-day calendar (created on first use)."""
    global _default_calendar
    if _default_calendar is None:
        _default_calendar = ChineseWorkCalendar()
    return _default_calendar


def add_working_days(day: date, count: int, calendar: WorkCalendar) -> date:
    """The `count`-th working day after `day` (the start day itself is never counted)."""
    if count < 1:
        raise InvalidInput(f"working-day count must be >= 1, got {count}")
    current = day
    found = 0
    # Longest run of non-working days in China is ~9 (国庆+周末); this bound only stops a broken calendar.
    for _ in range(count * 7 + 60):
        current += timedelta(days=1)
        if calendar.is_workday(current):
            found += 1
            if found == count:
                return current
    raise CalendarNotCovered(f"{day.isoformat()} 之后 {count} 个工作日内日历无工作日，日历数据可能有误")


def due_at(start: datetime, limit: float, unit: LimitUnit, calendar: WorkCalendar | None = None) -> datetime:
    """Due time (UTC) of a clock of `limit` `unit`s started at `start`.

    Hours are wall-clock 24×7. Working days count Asia/Shanghai local dates: the start day is not
    counted and the clock ends at 24:00 local of the last working day (民法典 第二百零一条、第二百零三条),
    i.e. at local midnight that follows it.
    """
    start_utc = require_aware(start, "start")
    if limit <= 0:
        raise InvalidInput(f"limit must be > 0, got {limit}")
    if unit is LimitUnit.HOURS:
        return start_utc + timedelta(hours=limit)
    if unit is LimitUnit.WORKING_DAYS:
        if limit != int(limit):
            raise InvalidInput(f"a working-day limit must be a whole number, got {limit}")
        cal = calendar if calendar is not None else default_calendar()
        local_day = start_utc.astimezone(SHANGHAI).date()
        last = add_working_days(local_day, int(limit), cal)
        return datetime.combine(last + timedelta(days=1), time(0), SHANGHAI).astimezone(UTC)
    raise InvalidInput(f"unknown limit unit {unit!r}")


def due_working_day(due: datetime) -> date:
    """The local date whose end a working-day deadline marks (due is 24:00 of that day)."""
    return (require_aware(due, "due").astimezone(SHANGHAI) - timedelta(microseconds=1)).date()
