"""Clock arithmetic: wall-clock hours 24×7 in UTC, working days on the Chinese calendar (调休 included)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
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
    """The statutory calendar of the `chinese_calendar` package (weekends, holidays, 调休 make-up days).

    Years the package does not cover yet can be supplied as data, from the State Council's annual
    notice (国务院办公厅关于XXXX年部分节假日安排的通知), in TOML files::

        [year.2027]
        citation = "国办发明电〔2026〕X号 国务院办公厅关于2027年部分节假日安排的通知"
        holidays = [2027-01-01, 2027-02-06, ...]   # statutory days off (incl. moved weekdays)
        workdays = [2027-02-14, ...]                 # make-up working days on weekends (调休)

    The package wins for the years it covers; a year in neither raises CalendarNotCovered.
    """

    def __init__(self, supplements: Sequence[Path] = ()) -> None:
        self._cache: dict[date, bool] = {}
        self._extra: dict[int, tuple[frozenset[date], frozenset[date]]] = {}
        for path in supplements:
            self._extra.update(load_holiday_file(path))

    def is_workday(self, day: date) -> bool:
        """True on a working day; CalendarNotCovered for a year neither the package nor a file covers."""
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        # Imported here, not at module import: no work at import time.
        import chinese_calendar

        try:
            result = bool(chinese_calendar.is_workday(day))
        except NotImplementedError as exc:
            extra = self._extra.get(day.year)
            if extra is None:
                raise CalendarNotCovered(
                    f"工作日日历未覆盖 {day.year} 年（chinese_calendar 无该年数据，拒绝猜测；请升级 chinesecalendar，"
                    f"或按国务院办公厅当年节假日安排通知在 settings.holiday_files 中补充）: {exc}"
                ) from exc
            holidays, workdays = extra
            result = day in workdays or (day.weekday() < 5 and day not in holidays)
        self._cache[day] = result
        return result


def load_holiday_file(path: Path) -> dict[int, tuple[frozenset[date], frozenset[date]]]:
    """Read a holiday supplement file; errors name the file and the key."""
    import tomllib

    name = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"{name}: 无法读取节假日文件: {exc}") from None
    years = data.get("year")
    if not isinstance(years, dict) or not years:
        raise InvalidInput(f"{name}: year: 缺少 [year.YYYY] 表")
    out: dict[int, tuple[frozenset[date], frozenset[date]]] = {}
    for key, table in years.items():
        where = f"{name}: year.{key}"
        if not str(key).isdigit() or not isinstance(table, dict):
            raise InvalidInput(f"{where}: 应为四位年份的表")
        year = int(key)
        if not str(table.get("citation", "")).strip():
            raise InvalidInput(f"{where}.citation: 必须注明出处（国务院办公厅节假日安排通知）")
        sets = []
        for field in ("holidays", "workdays"):
            values = table.get(field, [])
            if not isinstance(values, list) or not all(isinstance(v, date) and not isinstance(v, datetime) for v in values):
                raise InvalidInput(f"{where}.{field}: 应为日期列表，如 [2027-01-01]")
            wrong = [v for v in values if v.year != year]
            if wrong:
                raise InvalidInput(f"{where}.{field}: {wrong[0]} 不在 {year} 年")
            sets.append(frozenset(values))
        if sets[0] & sets[1]:
            raise InvalidInput(f"{where}: {sorted(sets[0] & sets[1])[0]} 同时列为假日和调休工作日")
        out[year] = (sets[0], sets[1])
    return out


PROVISIONAL_NOTE = "该年节假日安排未收录，暂按周一至周五计算工作日，请核对"


class WeekdayCalendar:
    """Monday to Friday, no holidays: the provisional calendar for a year no holiday data covers.

    Holidays only push a working-day deadline later, so the provisional due is rarely late; a 调休
    weekend working day could bring the true due a day earlier, hence the note on such clocks.
    """

    def is_workday(self, day: date) -> bool:
        """True from Monday to Friday."""
        return day.weekday() < 5


def uncovered_years(today: date, horizon_days: int = 45, calendar: WorkCalendar | None = None) -> list[int]:
    """Years between today and `horizon_days` ahead that the working-day calendar does not cover."""
    cal = calendar if calendar is not None else default_calendar()
    missing = []
    for year in range(today.year, (today + timedelta(days=horizon_days)).year + 1):
        try:
            cal.is_workday(date(year, 12, 31))
        except CalendarNotCovered:
            missing.append(year)
    return missing


_default_calendar: ChineseWorkCalendar | None = None


def default_calendar() -> ChineseWorkCalendar:
    """The shared Chinese working-day calendar (created on first use)."""
    global _default_calendar
    if _default_calendar is None:
        _default_calendar = ChineseWorkCalendar()
    return _default_calendar


def configure_default_calendar(supplements: Sequence[Path]) -> ChineseWorkCalendar:
    """Replace the shared calendar with one that also knows the given holiday files (service start-up)."""
    global _default_calendar
    _default_calendar = ChineseWorkCalendar(supplements)
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
