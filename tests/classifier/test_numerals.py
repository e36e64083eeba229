"""Chinese numerals read as numbers."""

from __future__ import annotations

import pytest

from classifier.numerals import parse_chinese, parse_number


@pytest.mark.parametrize(
    ("text", "value", "approx"),
    [
        ("三十二", 32, False),
        ("两", 2, False),
        ("十余", 10, True),
        ("上百", 100, True),
        ("1.2万", 12_000, False),
        ("数十", 20, True),
        ("二〇二四", 2024, False),
        ("十二", 12, False),
        ("一百零五", 105, False),
        ("一万二千", 12_000, False),
        ("3.5亿", 350_000_000, False),
        ("近千", 1000, True),
        ("5000多", 5000, True),
        ("12", 12, False),
    ],
)
def test_numeral_forms(text: str, value: float, approx: bool) -> None:
    n = parse_number(text)
    assert n is not None
    assert n.value == value
    assert n.approximate is approx


def test_not_a_number() -> None:
    assert parse_number("死亡") is None
    with pytest.raises(ValueError):
        parse_chinese("")
