"""The keyword lexicon (data/lexicon.toml) and one Aho-Corasick pass that counts every keyword."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from classifier._ac import Matcher
from classifier.datafiles import DATA_DIR, load_toml, req, str_list
from classifier.errors import DataFileError
from classifier.types import Category

LEXICON_FILE = DATA_DIR / "lexicon.toml"
_RELEVANCE_KEYS = (
    "threshold", "name", "alias", "subordinate", "leader", "territory", "territory_textual",
    "department_place_duty", "department_place_model", "department_place_only", "duty_without_place", "title_bonus",
)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Everything lexicon.toml holds, validated, plus the automaton over all its words."""

    category_keywords: dict[Category, dict[str, float]]
    title_weight: float
    min_category_score: float
    negative: dict[str, float]
    publicity: dict[str, float]
    response_min_negative: float
    response_min_negative_complaint: float
    response_min_negative_event: float
    response_complaint_categories: frozenset[Category]
    response_categories: frozenset[Category]
    response_cues: frozenset[str]
    emergency_categories: frozenset[Category]
    duties: dict[str, tuple[str, ...]]
    relevance: dict[str, float]
    automaton: Matcher
    source: str
    word_categories: dict[str, tuple[tuple[Category, float], ...]] = field(default_factory=dict)
    words: frozenset[str] = frozenset()


def _weights(value: Any, file: str, key: str) -> dict[str, float]:
    out: dict[str, float] = {}
    items = value.items() if isinstance(value, dict) else value
    for item in items:
        try:
            word, weight = item
        except (TypeError, ValueError) as exc:
            raise DataFileError(file, key, f"应为 [词, 权重] 对 (pair expected): {item!r}") from exc
        if not isinstance(word, str) or not word or isinstance(weight, bool) or not isinstance(weight, int | float):
            raise DataFileError(file, key, f"词或权重无效 (bad word/weight): {item!r}")
        out[word] = float(weight)
    return out


def _category(name: str, file: str, key: str) -> Category:
    try:
        return Category(name)
    except ValueError as exc:
        raise DataFileError(file, key, f"未知类别 (unknown category) {name!r}") from exc


def load_lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    """Load and validate lexicon.toml and build its automaton."""
    file = str(path)
    raw = load_toml(path)
    cat = req(raw, "category", dict, file, "")
    keywords: dict[Category, dict[str, float]] = {}
    for name, table in req(cat, "keywords", dict, file, "category").items():
        keywords[_category(name, file, f"category.keywords.{name}")] = _weights(
            table, file, f"category.keywords.{name}"
        )
    sent = req(raw, "sentiment", dict, file, "")
    resp = req(raw, "needs_response", dict, file, "")
    duties_raw = req(raw, "duties", dict, file, "")
    duties = {k: str_list(duties_raw, k, file, "duties") for k in duties_raw}
    rel_raw = req(raw, "relevance", dict, file, "")
    relevance = {k: float(req(rel_raw, k, (int, float), file, "relevance")) for k in _RELEVANCE_KEYS}
    lex_words: set[str] = set()
    for table in keywords.values():
        lex_words.update(table)
    negative = _weights(req(sent, "negative", list, file, "sentiment"), file, "sentiment.negative")
    publicity = _weights(req(sent, "publicity", list, file, "sentiment"), file, "sentiment.publicity")
    cues = str_list(resp, "cues", file, "needs_response")
    lex_words.update(negative, publicity, cues)
    for words in duties.values():
        lex_words.update(words)
    lex_words.update(duties)
    automaton = Matcher()
    for word in lex_words:
        automaton.add(word, word)
    automaton.build()
    return Lexicon(
        category_keywords=keywords,
        title_weight=float(req(cat, "title_weight", (int, float), file, "category")),
        min_category_score=float(req(cat, "min_score", (int, float), file, "category")),
        negative=negative,
        publicity=publicity,
        response_min_negative=float(req(resp, "min_negative", (int, float), file, "needs_response")),
        response_min_negative_complaint=float(
            req(resp, "min_negative_complaint", (int, float), file, "needs_response")
        ),
        response_min_negative_event=float(req(resp, "min_negative_event", (int, float), file, "needs_response")),
        response_complaint_categories=frozenset(
            _category(c, file, "needs_response.complaint_categories")
            for c in str_list(resp, "complaint_categories", file, "needs_response")
        ),
        response_categories=frozenset(
            _category(c, file, "needs_response.categories") for c in str_list(resp, "categories", file, "needs_response")
        ),
        response_cues=frozenset(cues),
        emergency_categories=frozenset(
            _category(c, file, "needs_response.emergency_categories")
            for c in str_list(resp, "emergency_categories", file, "needs_response")
        ),
        duties=duties,
        relevance=relevance,
        automaton=automaton,
        source=file,
        word_categories=_invert(keywords),
        words=frozenset(lex_words),
    )


def _invert(keywords: dict[Category, dict[str, float]]) -> dict[str, tuple[tuple[Category, float], ...]]:
    """word → ((category, weight), …), so scoring walks the words found, not the whole lexicon."""
    out: dict[str, list[tuple[Category, float]]] = {}
    for cat, words in keywords.items():
        for word, weight in words.items():
            out.setdefault(word, []).append((cat, weight))
    return {w: tuple(v) for w, v in out.items()}


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The shipped lexicon, loaded once on first use."""
    return load_lexicon(LEXICON_FILE)


@dataclass(frozen=True, slots=True)
class Hits:
    """Keyword counts in the title and in the body of one item."""

    title: Counter[str]
    body: Counter[str]

    def any(self, word: str) -> bool:
        """True when the word occurs anywhere."""
        return word in self.title or word in self.body


def count_hits(lex: Lexicon, title: str, body: str) -> Hits:
    """Count every lexicon word in title and body with one automaton pass each."""
    auto = lex.automaton
    return Hits(
        Counter(auto.values(title)) if title else Counter(),
        Counter(auto.values(body)) if body else Counter(),
    )
