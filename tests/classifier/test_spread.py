"""Spread raises priority without changing the grade."""

from __future__ import annotations

from classifier.spread import SpreadRules, load_spread_rules, priority
from classifier.types import Assessment, Category, Figures, Grade, Severity

RULES = SpreadRules(items_per_hour=(10.0, 50.0), distinct_sources=(3, 10))


def _a(grade: Grade | None, needs: bool) -> Assessment:
    return Assessment("x", (), (), False, Category.OTHER, Figures(), Severity(grade, "", 0.5, needs))


def test_spread_raises_priority_not_grade() -> None:
    a = _a(Grade.GENERAL, True)
    assert priority(a, 0, 1, RULES).level == 4
    p = priority(a, 60, 4, RULES)
    assert p.level == 1 and a.severity.grade is Grade.GENERAL
    assert any("传播" in r for r in p.reasons)


def test_no_grade_levels() -> None:
    assert priority(_a(None, True), 0, 1, RULES).level == 3
    assert priority(_a(None, False), 0, 1, RULES).level == 4
    assert priority(_a(Grade.EXTRAORDINARY, True), 100, 20, RULES).level == 1


def test_rules_load() -> None:
    rules = load_spread_rules()
    assert rules.items_per_hour == tuple(sorted(rules.items_per_hour))
