from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawlers.dates import find_date, parse_date

NOW = datetime(2024, 3, 6, 4, 0, tzinfo=UTC)  # 2024-03-06 12:00 Asia/Shanghai


@pytest.mark.parametrize(
    ("raw", "iso_utc"),
    [
        ("2024年3月5日 10:20", "2024-03-05T02:20:00"),
        ("2024年03月05日10时20分", "2024-03-05T02:20:00"),
        ("2024年3月5日", "2024-03-04T16:00:00"),
        ("2024-03-05", "2024-03-04T16:00:00"),
        ("2024/3/5 10:20:30", "2024-03-05T02:20:30"),
        ("2024.03.05 10:20", "2024-03-05T02:20:00"),
        ("20240305", "2024-03-04T16:00:00"),
        ("3月5日", "2024-03-04T16:00:00"),
        ("3月5日 10:20", "2024-03-05T02:20:00"),
        ("03-05 10:20", "2024-03-05T02:20:00"),
        ("12月30日", "2023-12-29T16:00:00"),  # future in this year → last year
        ("昨天 10:20", "2024-03-05T02:20:00"),
        ("前天 08:00", "2024-03-04T00:00:00"),
        ("今天 09:15", "2024-03-06T01:15:00"),
        ("10:20", "2024-03-06T02:20:00"),
        ("刚刚", "2024-03-06T04:00:00"),
        ("30秒前", "2024-03-06T03:59:30"),
        ("5分钟前", "2024-03-06T03:55:00"),
        ("半小时前", "2024-03-06T03:30:00"),
        ("3小时前", "2024-03-06T01:00:00"),
        ("2天前", "2024-03-04T04:00:00"),
        ("1周前", "2024-02-28T04:00:00"),
        ("2024年3月5日 下午3:05", "2024-03-05T07:05:00"),
        ("Tue, 05 Mar 2024 02:20:00 GMT", "2024-03-05T02:20:00"),
        ("Tue, 05 Mar 2024 10:20:00 +0800", "2024-03-05T02:20:00"),
        ("2024-03-05T10:20:00+08:00", "2024-03-05T02:20:00"),
        ("2024-03-05T02:20:00Z", "2024-03-05T02:20:00"),
        ("2024-03-05T10:20:00.123-05:00", "2024-03-05T15:20:00"),
        ("2024-03-05 10:20:00.123", "2024-03-05T02:20:00"),
        ("1709605200", "2024-03-05T02:20:00"),
        ("1709605200000", "2024-03-05T02:20:00"),
        ("发布时间：2024-03-05 10:20  来源：示例市政府网", "2024-03-05T02:20:00"),
        ("２０２４年３月５日　１０：２０", "2024-03-05T02:20:00"),
        ("2024年3月5日前完成整改", "2024-03-04T16:00:00"),  # a date, not "5 days ago"
        ("3月5日前", "2024-03-04T16:00:00"),
        ("2个月前", "2024-01-06T04:00:00"),
        ("2024年3月5日 星期二 10:20", "2024-03-05T02:20:00"),
        ("2024年03月05日（星期二）", "2024-03-04T16:00:00"),
        ("二〇二四年三月五日", "2024-03-04T16:00:00"),
        ("二〇二三年十二月二十一日", "2023-12-20T16:00:00"),
        ("2024年3月5日晚上8点", "2024-03-05T12:00:00"),
        ("2024年3月5日10时20分30秒", "2024-03-05T02:20:30"),
        ("2024-03-05 10:20 GMT+8", "2024-03-05T02:20:00"),
        ("2024-03-05 10:20 UTC-5", "2024-03-05T15:20:00"),
        ("2024-03-05 10:20 北京时间", "2024-03-05T02:20:00"),
    ],
)
def test_parse_date(raw: str, iso_utc: str) -> None:
    dt = parse_date(raw, NOW)
    assert dt is not None, raw
    assert dt.tzinfo is not None and dt.utcoffset() is not None and dt.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert dt.replace(tzinfo=None).isoformat() == iso_utc


@pytest.mark.parametrize("raw", ["", "   ", "nonsense", "2024-02-30", "第13月", "hello 2 world"])
def test_not_a_date(raw: str) -> None:
    assert parse_date(raw, NOW) is None


def test_default_zone_parameter() -> None:
    dt = parse_date("2024-03-05 10:20", NOW, default_tz="UTC")
    assert dt == datetime(2024, 3, 5, 10, 20, tzinfo=UTC)


def test_year_rollover_at_new_year() -> None:
    jan1 = datetime(2025, 1, 1, 2, 0, tzinfo=UTC)
    assert parse_date("12月31日 23:00", jan1) == datetime(2024, 12, 31, 15, 0, tzinfo=UTC)
    assert parse_date("昨天 23:00", jan1) == datetime(2024, 12, 31, 15, 0, tzinfo=UTC)


def test_find_date_in_text() -> None:
    assert find_date("来源：示例网 2024年3月5日 10:20 编辑：李", NOW) == datetime(2024, 3, 5, 2, 20, tzinfo=UTC)
    assert find_date("没有日期", NOW) is None


SH = ZoneInfo("Asia/Shanghai")


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2035, 12, 31)))
def test_round_trip_every_absolute_form(naive: datetime) -> None:
    local = naive.replace(microsecond=0, tzinfo=SH)
    expected = local.astimezone(UTC)
    forms = [
        f"{local.year}年{local.month}月{local.day}日 {local.hour:02d}:{local.minute:02d}:{local.second:02d}",
        local.strftime("%Y-%m-%d %H:%M:%S"),
        local.strftime("%Y/%m/%d %H:%M:%S"),
        local.isoformat(),
        expected.strftime("%Y-%m-%dT%H:%M:%SZ"),
        format_datetime(expected),
    ]
    for form in forms:
        assert parse_date(form, NOW) == expected, form
