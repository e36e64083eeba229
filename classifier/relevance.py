"""Which units an item concerns: names and aliases, places inside a jurisdiction, duties."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from classifier._ac import Matcher
from classifier.errors import JurisdictionError
from classifier.lexicon import Lexicon
from classifier.places import Gazetteer, Jurisdiction, PlaceResult, resolve_jurisdiction, within
from classifier.types import Category, Place, UnitKind, UnitProfile, UnitRelevance

_KIND_LABEL = {"name": "名称", "alias": "别名", "subordinate": "下属单位", "leader": "领导职务"}


@dataclass(frozen=True, slots=True)
class _Term:
    unit: str
    kind: str  # name / alias / subordinate / leader / exclude / jname / duty
    text: str
    duty: str = ""


@dataclass(frozen=True, slots=True)
class UnitIndex:
    """The units, their resolved jurisdictions and one automaton over every term they bring."""

    units: tuple[UnitProfile, ...]
    jurisdictions: dict[str, Jurisdiction | None]
    jurisdiction_errors: dict[str, str]
    duty_words: dict[str, dict[str, tuple[str, ...]]]  # unit → duty → keywords
    automaton: Matcher
    user_words: tuple[str, ...]
    terms: dict[str, tuple[_Term, ...]]


def build_index(units: Sequence[UnitProfile], lex: Lexicon, gaz: Gazetteer) -> UnitIndex:
    """Resolve every unit's jurisdiction and build the term automaton (names, aliases, duties …)."""
    terms: dict[str, list[_Term]] = {}

    def add(text: str, term: _Term) -> None:
        text = text.strip()
        if text:
            terms.setdefault(text, []).append(term)

    jurisdictions: dict[str, Jurisdiction | None] = {}
    errors: dict[str, str] = {}
    duty_words: dict[str, dict[str, tuple[str, ...]]] = {}
    user_words: list[str] = []
    for u in units:
        add(u.name, _Term(u.id, "name", u.name))
        user_words.append(u.name)
        for kind, values in (("alias", u.aliases), ("subordinate", u.subordinates), ("leader", u.leaders)):
            for v in values:
                add(v, _Term(u.id, kind, v))
                user_words.append(v)
        for v in u.exclude:
            add(v, _Term(u.id, "exclude", v))
        try:
            j = resolve_jurisdiction(u.jurisdiction, gaz)
        except JurisdictionError as exc:
            j = None
            errors[u.id] = str(exc)
        jurisdictions[u.id] = j
        # Only the most specific name of a textual jurisdiction puts an item inside it ("示例市"
        # alone may be elsewhere in the city); sub-places the unit lists count as well.
        inner = (*(j.names[-1:] if j is not None else ()), *u.places)
        for name in inner:
            add(name, _Term(u.id, "jname", name))
            user_words.append(name)
        per: dict[str, tuple[str, ...]] = {}
        for duty in u.duties:
            words = (duty, *lex.duties.get(duty, ()))
            per[duty] = tuple(dict.fromkeys(words))
            for w in per[duty]:
                add(w, _Term(u.id, "duty", w, duty))
        duty_words[u.id] = per
    automaton = Matcher()
    for text, ts in terms.items():
        automaton.add(text, tuple(ts))
    automaton.build()
    return UnitIndex(
        tuple(units), jurisdictions, errors, duty_words, automaton, tuple(dict.fromkeys(user_words)),
        {k: tuple(v) for k, v in terms.items()},
    )


@dataclass(frozen=True, slots=True)
class Found:
    term: _Term
    start: int
    end: int
    in_title: bool


def _scan(index: UnitIndex, title: str, body: str) -> list[Found]:
    if not index.units:
        return []
    out: list[Found] = []
    for part, in_title, offset in ((title, True, 0), (body, False, len(title) + 1)):
        if not part:
            continue
        for start, end, ts in index.automaton.spans(part):
            for t in ts:
                out.append(Found(t, start + offset, end + offset, in_title))
    return out


def _place_label(p: Place) -> str:
    return p.county or p.city or p.province or p.mention


def unit_relevance(
    index: UnitIndex,
    lex: Lexicon,
    gaz: Gazetteer,
    title: str,
    body: str,
    places: PlaceResult,
    category: Category,
    route: tuple[str, float] | Callable[[], tuple[str, float] | None] | None,
    found: list[Found] | None = None,
) -> list[UnitRelevance]:
    """Relevance of every unit scoring at least the threshold, best first, each with its reasons.

    `route` is the duty router's verdict, or a function computing it on first need (it is needed only
    for department units with a place inside their jurisdiction, so most items never pay for it).
    """
    w = lex.relevance
    if found is None:
        found = _scan(index, title, body)
    by_unit: dict[str, list[Found]] = {}
    for f in found:
        by_unit.setdefault(f.term.unit, []).append(f)
    results: list[UnitRelevance] = []
    for u in index.units:
        mine = by_unit.get(u.id, [])
        if not mine and not places.places and u.id not in index.jurisdiction_errors:
            continue  # nothing names the unit and no place can lie in its jurisdiction
        excl = [f for f in mine if f.term.kind == "exclude"]
        reasons: list[str] = []
        score = 0.0

        def masked(f: Found, excl: list[Found] = excl) -> bool:
            return any(e.start <= f.start and f.end <= e.end for e in excl)

        # Names, aliases, subordinate bodies and leaders' titles: a mention inside an exclusion word
        # (a namesake elsewhere) does not count.
        best_name = 0.0
        for f in mine:
            if f.term.kind not in _KIND_LABEL:
                continue
            if masked(f):
                continue
            s = w[f.term.kind] + (w["title_bonus"] if f.in_title else 0.0)
            label = f"命中{_KIND_LABEL[f.term.kind]} {f.term.text}"
            if label not in reasons:
                reasons.append(label)
            best_name = max(best_name, s)
        for e in excl:
            label = f"排除词 {e.term.text}"
            if label not in reasons:
                reasons.append(label)
        score = best_name
        # Place inside the jurisdiction.
        j = index.jurisdictions.get(u.id)
        inside: list[str] = []
        if j is not None:
            if j.names or u.places:
                for f in mine:
                    if f.term.kind == "jname" and not masked(f):
                        label = f"地点 {f.term.text}（辖区名称文本匹配{'，不在区划库' if j.division is None else ''}）"
                        if label not in inside:
                            inside.append(label)
            if not j.names:
                for p in places.places:
                    if within(p, j, gaz):
                        where = _place_label(j.place) if j.place else j.source
                        same = j.place is not None and p.adcode == j.place.adcode
                        label = f"地点 {_place_label(p)}（辖区）" if same else f"地点 {_place_label(p)} ⊂ {where}"
                        if label not in inside:
                            inside.append(label)
        elif u.id in index.jurisdiction_errors:
            reasons.append(f"辖区无法解析：{index.jurisdiction_errors[u.id]}")
        if inside:
            reasons.extend(inside[:3])
            textual = j is not None and j.textual
            if u.kind == UnitKind.TERRITORIAL:
                score = max(score, w["territory_textual"] if textual else w["territory"])
            else:
                per_duty: dict[str, list[str]] = {}
                for f in mine:
                    if f.term.kind == "duty" and not masked(f):
                        words = per_duty.setdefault(f.term.duty, [])
                        if f.term.text != f.term.duty and f.term.text not in words:
                            words.append(f.term.text)
                duty_hits = [
                    f"职责 {d}（{'、'.join(ws[:3])}）" if ws else f"职责 {d}" for d, ws in per_duty.items()
                ]
                if category.value in u.duties:
                    duty_hits.insert(0, f"职责 {category.value}（类别）")
                model_hit = ""
                if callable(route):
                    route = route()
                if route is not None:
                    label_, prob = route
                    duty_vocab = {x for ws in index.duty_words.get(u.id, {}).values() for x in ws}
                    if label_ in u.duties or label_ in duty_vocab:
                        model_hit = f"模型 职责 {label_} {prob:.2f}"
                if duty_hits:
                    reasons.extend(duty_hits[:3])
                    score = max(score, w["department_place_duty"])
                elif model_hit and route is not None and route[1] >= 0.5:
                    reasons.append(model_hit)
                    score = max(score, w["department_place_model"])
                else:
                    score = max(score, w["department_place_only"])
                if model_hit and duty_hits:
                    reasons.append(model_hit)
        # Independent kinds of evidence agreeing raise confidence a little.
        if best_name and inside:
            score += w["title_bonus"]
        score = round(min(1.0, score), 3)
        if score >= w["threshold"]:
            results.append(UnitRelevance(u.id, score, tuple(reasons)))
    results.sort(key=lambda r: (-r.score, r.unit))
    return results
