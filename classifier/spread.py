"""Priority from grade, need of an answer and spread; spread never changes the official grade."""

from __future__ import annotations

from dataclasses import dataclass

from classifier.datafiles import load_toml, req
from classifier.errors import DataFileError
from classifier.lexicon import LEXICON_FILE
from classifier.types import Assessment


@dataclass(frozen=True, slots=True)
class SpreadRules:
    """Thresholds of lexicon.toml [spread] (each reached threshold raises priority one level)."""

    items_per_hour: tuple[float, ...]
    distinct_sources: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Priority:
    """1 (most urgent) … 4, with the reasons."""

    level: int
    reasons: tuple[str, ...]


def load_spread_rules(path: str | None = None) -> SpreadRules:
    """Load [spread] from lexicon.toml (or another file), validated."""
    from pathlib import Path

    p = Path(path) if path else LEXICON_FILE
    raw = req(load_toml(p), "spread", dict, str(p), "")
    out: list[tuple[float, ...]] = []
    for key in ("items_per_hour", "distinct_sources"):
        values = req(raw, key, list, str(p), "spread")
        if not values or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in values):
            raise DataFileError(str(p), f"spread.{key}", "应为正数列表 (list of positive numbers)")
        if list(values) != sorted(values):
            raise DataFileError(str(p), f"spread.{key}", "应从小到大排列 (ascending)")
        out.append(tuple(float(v) for v in values))
    return SpreadRules(out[0], tuple(int(v) for v in out[1]))


def priority(a: Assessment, items_per_hour: float, distinct_sources: int, rules: SpreadRules) -> Priority:
    """Base level from the grade (特别重大 = 1 … 一般 = 4; no grade: 3 if it needs an answer, else 4), raised by spread."""
    reasons: list[str] = []
    grade = a.severity.grade
    if grade is not None:
        level = grade.level
        reasons.append(f"等级 {grade.value}")
    elif a.severity.needs_response:
        level = 3
        reasons.append("需回应")
    else:
        level = 4
        reasons.append("无需回应")
    steps = 0
    for t in rules.items_per_hour:
        if items_per_hour >= t:
            steps += 1
            reasons.append(f"传播 每小时{items_per_hour:g}条 ≥ {t:g}")
    for s in rules.distinct_sources:
        if distinct_sources >= s:
            steps += 1
            reasons.append(f"来源 {distinct_sources}个 ≥ {s}")
    return Priority(max(1, level - steps), tuple(reasons))
