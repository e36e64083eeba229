"""Clock arithmetic: hours 24×7, working days across 春节/国庆 with 调休, uncovered years refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from responder.deadlines import ChineseWorkCalendar, add_working_days, due_at, due_working_day
from responder.errors import CalendarNotCovered, InvalidInput
from responder.times import SHANGHAI, format_local
from responder.types import LimitUnit

from .conftest import sh, utc

CAL = ChineseWorkCalendar()


def test_hours_are_wall_clock_over_weekend_and_holiday() -> None:
    # Saturday night in the middle of 国庆: an emergency does not wait for Monday.
    start = sh(2024, 10, 5, 23, 30)
    assert due_at(start, 1, LimitUnit.HOURS) == start + timedelta(hours=1)
    assert due_at(start, 48, LimitUnit.HOURS) == start + timedelta(hours=48)
    assert due_at(start, 0.5, LimitUnit.HOURS) == start + timedelta(minutes=30)
    assert due_at(start, 5, LimitUnit.HOURS).tzinfo == UTC


def test_friday_1600_policy_due_end_of_third_working_day() -> None:
    # Published Friday 2025-03-14 16:00 (Shanghai): Mon 17, Tue 18, Wed 19 → due Wed 24:00 local.
    due = due_at(sh(2025, 3, 14, 16, 0), 3, LimitUnit.WORKING_DAYS)
    assert due == sh(2025, 3, 20, 0, 0)
    assert due_working_day(due) == date(2025, 3, 19)
    assert format_local(due, end_of_day=True) == "2025-03-19 24:00"
    assert format_local(due) == "2025-03-20 00:00"


def test_spring_festival_2025_with_make_up_days() -> None:
    # 春节 2025: 1/28–2/4 off; Sunday 1/26 and Saturday 2/8 are make-up workdays (调休).
    start = sh(2025, 1, 24, 16, 0)  # Friday
    # 1/25 Sat off, 1/26 Sun 调休 workday (1), 1/27 Mon (2), 1/28–2/4 holiday, 2/5 Wed (3).
    assert due_working_day(due_at(start, 3, LimitUnit.WORKING_DAYS)) == date(2025, 2, 5)
    # From Monday 2/3 (holiday): 2/5 (1), 2/6 (2), 2/7 (3).
    assert due_working_day(due_at(sh(2025, 2, 3, 9, 0), 3, LimitUnit.WORKING_DAYS)) == date(2025, 2, 7)
    # From Friday 2/7: Saturday 2/8 is a make-up workday (1), 2/10 Mon (2), 2/11 Tue (3).
    assert due_working_day(due_at(sh(2025, 2, 7, 16, 0), 3, LimitUnit.WORKING_DAYS)) == date(2025, 2, 11)


def test_national_day_2024_with_make_up_days() -> None:
    # 国庆 2024: 10/1–10/7 off; Sunday 9/29 and Saturday 10/12 are make-up workdays.
    assert due_working_day(due_at(sh(2024, 9, 27, 16, 0), 3, LimitUnit.WORKING_DAYS)) == date(2024, 10, 8)
    assert due_working_day(due_at(sh(2024, 10, 10, 10, 0), 3, LimitUnit.WORKING_DAYS)) == date(2024, 10, 14)
    assert due_working_day(due_at(sh(2024, 10, 1, 8, 0), 1, LimitUnit.WORKING_DAYS)) == date(2024, 10, 8)


def test_working_days_count_shanghai_dates_not_utc() -> None:
    # 2025-03-14 01:00 Shanghai is still Thursday 13th in UTC; the local date (Friday) is what counts.
    start = sh(2025, 3, 14, 1, 0)
    assert start.date() == date(2025, 3, 13)
    assert due_working_day(due_at(start, 1, LimitUnit.WORKING_DAYS)) == date(2025, 3, 17)


def test_year_not_covered_raises() -> None:
    with pytest.raises(CalendarNotCovered, match="2031"):
        due_at(utc(2031, 5, 6, 3, 0), 3, LimitUnit.WORKING_DAYS)
    # A clock that starts in a covered year but runs into an uncovered one also refuses to guess.
    with pytest.raises(CalendarNotCovered, match="2027"):
        due_at(sh(2026, 12, 30, 10, 0), 3, LimitUnit.WORKING_DAYS)
    with pytest.raises(CalendarNotCovered):
        due_at(utc(1999, 5, 6), 3, LimitUnit.WORKING_DAYS)
    # Wall-clock hours need no calendar.
    assert due_at(utc(2031, 5, 6), 24, LimitUnit.HOURS) == utc(2031, 5, 7)


def test_bad_inputs() -> None:
    with pytest.raises(InvalidInput, match="timezone-aware"):
        due_at(datetime(2025, 1, 1), 1, LimitUnit.HOURS)
    with pytest.raises(InvalidInput):
        due_at(utc(2025, 1, 1), 0, LimitUnit.HOURS)
    with pytest.raises(InvalidInput):
        due_at(utc(2025, 1, 1), 1.5, LimitUnit.WORKING_DAYS)
    with pytest.raises(InvalidInput):
        add_working_days(date(2025, 1, 1), 0, CAL)


class _StubCalendar:
    """Weekdays only, no holidays: proves the calendar is a parameter."""

    def is_workday(self, day: date) -> bool:
        return day.weekday() < 5


def test_calendar_is_a_parameter() -> None:
    # 2025-10-01 is a holiday in China but a Wednesday: the stub counts it.
    due = due_at(sh(2025, 9, 30, 9, 0), 1, LimitUnit.WORKING_DAYS, _StubCalendar())
    assert due_working_day(due) == date(2025, 10, 1)


starts = st.datetimes(
    min_value=datetime(2004, 1, 1), max_value=datetime(2026, 11, 30), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(start=starts, limit=st.floats(min_value=0.01, max_value=24 * 30))
def test_property_hour_deadline_never_precedes_start(start: datetime, limit: float) -> None:
    due = due_at(start, limit, LimitUnit.HOURS)
    assert due > start
    assert due == due_at(start, limit, LimitUnit.HOURS)  # deterministic


@settings(max_examples=300, deadline=None)
@given(start=starts, days=st.integers(min_value=1, max_value=10))
def test_property_working_day_deadline(start: datetime, days: int) -> None:
    due = due_at(start, days, LimitUnit.WORKING_DAYS, CAL)
    assert due > start
    last = due_working_day(due)
    assert CAL.is_workday(last), f"due day {last} is not a working day"
    # Exactly `days` working days lie after the start's local date, up to and including the due day.
    first = start.astimezone(SHANGHAI).date()
    counted = sum(CAL.is_workday(first + timedelta(days=i)) for i in range(1, (last - first).days + 1))
    assert counted == days
    # Ends at local midnight.
    local = due.astimezone(SHANGHAI)
    assert (local.hour, local.minute, local.second) == (0, 0, 0)
    assert due == due_at(start, days, LimitUnit.WORKING_DAYS, ChineseWorkCalendar())


def test_holiday_file_supplies_a_year_the_package_lacks(tmp_path: Path) -> None:
    """A year the package does not cover is computed from a holiday file, never guessed."""
    start = datetime(2099, 1, 1, 2, 0, tzinfo=UTC)  # Thursday 2099-01-01, 10:00 in Shanghai
    with pytest.raises(CalendarNotCovered, match="2099"):
        due_at(start, 3, LimitUnit.WORKING_DAYS, ChineseWorkCalendar())
    path = tmp_path / "holidays.toml"
    path.write_text(
        '[year.2099]\ncitation = "测试用：2099年节假日安排"\nholidays = [2099-01-02, 2099-01-05]\n'
        "workdays = [2099-01-03]\n",
        encoding="utf-8",
    )
    calendar = ChineseWorkCalendar([path])
    # Fri 01-02 off, Sat 01-03 make-up workday (1), Sun off, Mon 01-05 off, Tue 01-06 (2), Wed 01-07 (3).
    due = due_at(start, 3, LimitUnit.WORKING_DAYS, calendar)
    assert due.astimezone(SHANGHAI) == datetime(2099, 1, 8, 0, 0, tzinfo=SHANGHAI)
    path.write_text('[year.2099]\nholidays = [2099-01-02]\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"holidays\.toml: year\.2099\.citation"):
        ChineseWorkCalendar([path])
    path.write_text('[year.2099]\ncitation = "x"\nholidays = [2098-12-31]\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match="不在 2099 年"):
        ChineseWorkCalendar([path])
