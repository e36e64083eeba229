"""Display helpers: UTC stored, Asia/Shanghai shown."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from responder.errors import InvalidInput
from responder.times import format_duration, format_local, to_local

from .conftest import sh, utc


def test_to_local_and_format() -> None:
    assert to_local(utc(2026, 11, 22, 6, 0)).hour == 14
    assert format_local(utc(2026, 11, 22, 6, 0)) == "2026-11-22 14:00"
    assert format_local(None) == "—"
    assert format_local(utc(2026, 11, 22, 6, 0), "%H:%M") == "14:00"


def test_end_of_day_display() -> None:
    midnight = sh(2025, 2, 6, 0, 0)
    assert format_local(midnight, end_of_day=True) == "2025-02-05 24:00"
    assert format_local(midnight + timedelta(minutes=1), end_of_day=True) == "2025-02-06 00:01"


def test_naive_refused() -> None:
    with pytest.raises(InvalidInput, match="timezone-aware"):
        to_local(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=30), "0 分钟"),
        (timedelta(minutes=12), "12 分钟"),
        (timedelta(hours=2), "2 小时"),
        (timedelta(hours=2, minutes=5), "2 小时 5 分钟"),
        (timedelta(days=3, hours=4), "3 天 4 小时"),
        (timedelta(days=1, minutes=1), "1 天 1 分钟"),
    ],
)
def test_format_duration(delta: timedelta, text: str) -> None:
    from responder.escalation import _duration

    assert format_duration(delta) == text
    assert _duration(delta) == text  # the sweep's inlined copy says the same
