"""Figures that decide a grade, read from normalised text (deaths, missing, 重伤, 受伤, poisoned, loss, magnitude)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from classifier.numerals import NUMBER_PATTERN, number_from_match
from classifier.types import Figures

_N = NUMBER_PATTERN
_CL = r"(?:人|名|位|例|个人)"
# A short gap between a count and its verb ("3名工人不幸遇难"); it may not cross a clause, another
# figure or an injury word, so "2人受伤、1人死亡" never reads as two deaths.
_GAP = r"[^,，。;；!！?？\n\d、和及伤死亡]{0,8}?"
_GAP_POISON = r"[^,，。;；!！?？\n\d]{0,16}?"
_DEATH = r"(?:死亡|遇难|罹难|身亡|丧生|殒命|不幸离世)"
_MISSING = r"(?:失联|失踪)"
_UPDATE = r"[^,，。;；!！?？\n\d、]{0,8}?"
# "死亡2人" must not be the start of "死亡1人2人失踪"-style run-ons: the count belongs to what follows it.
_NOT_OTHER = r"(?![^,，。;；\d]{0,4}?(?:失联|失踪|受伤|重伤|轻伤|中毒|死亡|遇难))"

# Food context decides whether 急性中毒 is an industrial acute poisoning (counted as 重伤 by the
# production-safety regulation) or a food-poisoning count.
_FOOD_CONTEXT = re.compile(r"食物中毒|食源性|就餐|用餐|进食|聚餐|饭菜|午餐|晚餐|早餐|食堂|外卖|宴席|酒席|误食|食用")


@dataclass(frozen=True, slots=True)
class _Spec:
    """One way of writing one figure."""

    figure: str
    pattern: re.Pattern[str]
    triggers: tuple[str, ...]


def _spec(figure: str, pattern: str, *triggers: str) -> _Spec:
    return _Spec(figure, re.compile(pattern), triggers)


_SPECS: tuple[_Spec, ...] = (
    _spec("deaths", _N + _CL + "?" + _GAP + _DEATH, "死", "难", "亡", "丧", "殒", "离世"),
    _spec("deaths", _DEATH + r"(?:人数|人员)" + _UPDATE + _N + _CL + "?", "死", "难", "亡", "丧"),
    _spec("deaths", _DEATH + _N + _CL + _NOT_OTHER, "死", "难", "亡", "丧"),
    _spec("deaths", _N + r"死(?!亡|者)", "死"),
    _spec("missing", _N + _CL + "?" + _GAP + _MISSING, "失"),
    _spec("missing", _MISSING + r"(?:人数|人员)?" + _UPDATE + _N + _CL + _NOT_OTHER, "失"),
    _spec("serious_injuries", _N + _CL + "?" + _GAP + r"重伤", "重伤"),
    _spec("serious_injuries", r"重伤(?:人数|人员)?" + _UPDATE + _N + _CL + _NOT_OTHER, "重伤"),
    _spec("acute_poisoning", _N + _CL + "?" + _GAP + r"急性(?:[^,，。;；\d]{0,4})中毒", "急性"),
    _spec("injuries", _N + _CL + "?" + _GAP + r"(?:不同程度)?(?:受伤|轻伤)", "伤"),
    _spec("injuries", r"(?:受伤|伤者|轻伤)(?:人数|人员)?" + _UPDATE + _N + _CL + _NOT_OTHER, "伤"),
    _spec("injuries", r"(?<=死)" + _N + r"伤", "伤"),
    _spec("poisoned", _N + _CL + _GAP_POISON + r"中毒", "中毒"),
    _spec("poisoned", r"中毒(?:人数|患者|病例|人员|者|学生|职工|员工|工人|群众|村民|师生|游客|宾客)" + _UPDATE + _N + _CL + "?", "中毒"),
    # In a meal context, people "出现呕吐、腹泻等症状" are the poisoned count even without the word 中毒.
    _spec("symptoms", _N + _CL + _GAP_POISON + r"(?:症状|不适|送医|就医|就诊|入院)", "症状", "不适", "送医", "就医", "就诊", "入院"),
    _spec("loss", r"经济损失" + _UPDATE + _N + r"\s*(?P<unit>[万亿]?)元", "损失"),
)
# One pass finds which trigger words occur, so only the patterns that can match run.
_TRIGGER_RE = re.compile("|".join(sorted({t for s in _SPECS for t in s.triggers}, key=len, reverse=True)))
_MAGNITUDE_RES = (
    re.compile(r"(?:M|Ms|里氏|震级)\s*(\d+(?:\.\d+)?)\s*级?"),
    re.compile(r"(\d+(?:\.\d+)?)\s*级(?:左右)?(?:的)?(?:强烈|强|浅源|有感)?地震"),
)
_NO_CASUALTIES = re.compile(
    r"(?:无|未|没有|暂无|暂未|尚无|尚未|未有)(?:造成|发现|接到|收到|出现|引发)?(?:任何)?(?:人员)?(?:伤亡|死伤)(?:报告)?"
    r"|无人(?:员)?(?:伤亡|受伤|死亡)"
)
# "中毒人数已由60人升至101人": the number after 升至/增至 replaces the one just read.
_UPDATE_AFTER = re.compile(r"[^,，。;；\d]{0,3}?(?:上升|攀升|增加|升|增|涨)(?:至|到)" + _N + _CL + "?")
_SUBSET_BEFORE = re.compile(r"其中[^,，。;；]{0,3}$")
_BIG = {"万": 10_000.0, "亿": 100_000_000.0}


@dataclass(frozen=True, slots=True)
class _Hit:
    figure: str
    start: int
    value: float
    approximate: bool


def _hits(text: str) -> list[_Hit]:
    """Every figure mention in text order; "其中2人…" (a subset) is skipped."""
    hits: list[_Hit] = []
    present = set(_TRIGGER_RE.findall(text))
    if not present:
        return hits
    for spec in _SPECS:
        if present.isdisjoint(spec.triggers):
            continue
        for m in spec.pattern.finditer(text):
            number = number_from_match(m)
            if number is None:
                continue
            update = _UPDATE_AFTER.match(text, m.end())
            if update is not None:
                newer = number_from_match(update)
                if newer is not None:
                    number = newer
            value = number.value
            if spec.figure == "loss":
                value *= _BIG.get(m.group("unit") or "", 1.0)
            elif _SUBSET_BEFORE.search(text, max(0, m.start() - 6), m.start()) and any(
                h.figure == spec.figure for h in hits
            ):
                # "3人死亡，其中2人当场死亡": a subset of a figure already given, not an update.
                continue
            hits.append(_Hit(spec.figure, m.start(), value, number.approximate))
    hits.sort(key=lambda h: h.start)
    return hits


def extract_figures(text: str) -> Figures:
    """Read the figures from normalised text, taking the latest figure when a report updates itself."""
    latest: dict[str, _Hit] = {}
    for hit in _hits(text):
        # Later mentions win: "已造成2人死亡……死亡人数已上升至12人" reports 12.
        latest[hit.figure] = hit
    food = bool(_FOOD_CONTEXT.search(text)) if ("poisoned" in latest or "symptoms" in latest or "acute_poisoning" in latest) else False

    def count(name: str) -> int | None:
        hit = latest.get(name)
        return None if hit is None else int(hit.value)

    serious = count("serious_injuries")
    acute = count("acute_poisoning")
    if acute is not None and not food:
        serious = (serious or 0) + acute
    # 中毒 counts outside a meal context are industrial poisonings, graded through 急性中毒 as 重伤.
    poisoned = count("poisoned") if food else None
    if poisoned is None and food:
        poisoned = count("symptoms")
    if poisoned is None and acute is not None and food:
        poisoned = acute
    magnitude: float | None = None
    if "级" in text or "M" in text or "震" in text:
        for rx in _MAGNITUDE_RES:
            for m in rx.finditer(text):
                value = float(m.group(1))
                if 0 < value < 10:
                    magnitude = value
    loss_hit = latest.get("loss")
    approx = {name for name, hit in latest.items() if hit.approximate}
    if "symptoms" in approx:
        approx.discard("symptoms")
        if poisoned is not None and "poisoned" not in latest:
            approx.add("poisoned")
    approximate = tuple(sorted(approx))
    no_casualties = bool(_NO_CASUALTIES.search(text)) if ("伤" in text or "死" in text) else False
    return Figures(
        deaths=count("deaths"),
        missing=count("missing"),
        serious_injuries=serious,
        injuries=count("injuries"),
        poisoned=poisoned,
        economic_loss_yuan=None if loss_hit is None else loss_hit.value,
        magnitude=magnitude,
        no_casualties=no_casualties,
        approximate=approximate,
    )
