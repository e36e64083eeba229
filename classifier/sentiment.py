"""Negativity in [0, 1] from the lexicon, and whether an item needs an answer (see lexicon.toml)."""

from __future__ import annotations

import math

from classifier.lexicon import Hits, Lexicon
from classifier.types import Category, Figures, Grade

_MAX_COUNT = 3


def negativity(lex: Lexicon, hits: Hits) -> float:
    """1 - exp(-(negative weight - publicity weight)), clipped to [0, 1]; title words count double."""
    total = 0.0
    neg, pub = lex.negative, lex.publicity
    # Walk the words found (few) rather than the lexicon (hundreds).
    for counter, mult in ((hits.title, 2), (hits.body, 1)):
        for word, n in counter.items():
            k = mult * min(n, _MAX_COUNT)
            if word in neg:
                total += neg[word] * k
            if word in pub:
                total -= pub[word] * k
    if total <= 0:
        return 0.0
    return round(1.0 - math.exp(-total), 3)


def _casualties(figures: Figures | None) -> bool:
    if figures is None:
        return False
    return any(
        v for v in (figures.deaths, figures.missing, figures.serious_injuries, figures.injuries, figures.poisoned)
    )


def needs_response(
    lex: Lexicon,
    hits: Hits,
    category: Category,
    negative: float,
    grade: Grade | None,
    figures: Figures | None = None,
) -> tuple[bool, str]:
    """Whether the item needs an answer, with the reason (rules and thresholds in lexicon.toml)."""
    if category in lex.emergency_categories:
        return True, f"突发事件（{category.value}{'，' + grade.value if grade else ''}）"
    cues = sorted({w for w in hits.title if w in lex.response_cues} | {w for w in hits.body if w in lex.response_cues})
    cue_text = f"诉求/质疑用语：{'、'.join(cues[:3])}" if cues else ""
    if category in lex.response_complaint_categories:
        if negative >= lex.response_min_negative_complaint or cues:
            return True, f"{category.value}，负面 {negative:.2f}" + (f"，{cue_text}" if cue_text else "")
        return False, f"{category.value}，但负面度 {negative:.2f} 低且无诉求用语"
    if category in lex.response_categories and negative >= lex.response_min_negative_event:
        return True, f"{category.value}，负面 {negative:.2f}"
    if negative < lex.response_min_negative:
        return False, f"负面度 {negative:.2f} 低于 {lex.response_min_negative:.2f}，中性信息无需回应"
    if _casualties(figures):
        return True, f"报告人员伤亡，负面 {negative:.2f}"
    if cues:
        return True, f"负面 {negative:.2f}，{cue_text}"
    return False, f"负面 {negative:.2f}，但非投诉、举报或谣言"
