"""The Classifier: one item in, one Assessment out (relevance, places, category, figures, grade)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from classifier.category import categorize
from classifier.figures import extract_figures
from classifier.grading import GradingTables, default_tables, grade
from classifier.lexicon import Lexicon, default_lexicon
from classifier.models import RouterModel, load, negative_probability
from classifier.normalize import normalize
from classifier.places import Gazetteer, area_class, default_gazetteer, resolve_mentions
from classifier.relevance import UnitIndex, build_index, unit_relevance
from classifier.scan import Scanner
from classifier.sentiment import needs_response, negativity
from classifier.tokenize import Tokenizer
from classifier.types import Assessment, Severity, UnitProfile

RULES_ONLY = "rules-only（无训练模型，仅规则）"


class Classifier:
    """Assesses items for a fixed set of units; data files and models are loaded on first use."""

    def __init__(
        self,
        units: Sequence[UnitProfile],
        model_dir: Path | None = None,
        *,
        model: RouterModel | None = None,
        lexicon: Lexicon | None = None,
        tables: GradingTables | None = None,
        gazetteer: Gazetteer | None = None,
        sentiment_dir: Path | None = None,
        sentiment_weight: float = 0.5,
    ) -> None:
        self.units = tuple(units)
        self._model_dir = model_dir
        self._model = model
        self._model_error = ""
        self._lex = lexicon
        self._tables = tables
        self._gaz = gazetteer
        self._index: UnitIndex | None = None
        self._scanner: Scanner | None = None
        self._version = ""
        self._tokenizer: Tokenizer | None = None
        self._lock = threading.Lock()
        self._ready = False
        # Optional weibo-trained negativity model, blended with the lexicon score (off by default).
        self._sentiment_dir = sentiment_dir
        self._sentiment: RouterModel | None = None
        self._sentiment_weight = sentiment_weight

    def warm(self) -> None:
        """Load data files, gazetteer, unit index, jieba and the model now instead of on the first item."""
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            self._lex = self._lex or default_lexicon()
            self._tables = self._tables or default_tables()
            self._gaz = self._gaz or default_gazetteer()
            self._index = build_index(self.units, self._lex, self._gaz)
            self._tokenizer = Tokenizer(self._index.user_words)
            if self._model is None and self._model_dir is not None:
                try:
                    self._model = load(self._model_dir)
                except Exception as exc:  # a broken model must not stop rule-based work
                    self._model_error = str(exc)
            if self._sentiment_dir is not None:
                try:
                    self._sentiment = load(self._sentiment_dir)
                except Exception as exc:  # the lexicon score still works
                    self._model_error += f"情感模型加载失败：{exc}"
            if self._model is not None or self._sentiment is not None:
                self._tokenizer.warm()
            self._scanner = Scanner(self._gaz, self._lex, self._index)
            self._version = self._model.version if self._model is not None else (
                RULES_ONLY + (f"；模型加载失败：{self._model_error}" if self._model_error else "")
            )
            self._ready = True

    @property
    def model(self) -> RouterModel | None:
        """The duty router in use, if any."""
        self.warm()
        return self._model

    @property
    def model_version(self) -> str:
        """The model id, or a note that only rules run (and why)."""
        self.warm()
        return self._version

    @property
    def tokenizer(self) -> Tokenizer:
        """The private jieba tokenizer with the units' names as user words."""
        self.warm()
        assert self._tokenizer is not None
        return self._tokenizer

    @property
    def jurisdiction_errors(self) -> dict[str, str]:
        """Units whose jurisdiction could not be resolved, with the reason."""
        self.warm()
        assert self._index is not None
        return dict(self._index.jurisdiction_errors)

    def assess(
        self, item_id: str, title: str, text: str, published_at: datetime | None = None, url: str = ""
    ) -> Assessment:
        """Assess one item (published_at and url are carried for callers; the verdict does not use them)."""
        self.warm()
        lex, tables, gaz, index, scanner = self._lex, self._tables, self._gaz, self._index, self._scanner
        assert lex is not None and tables is not None and gaz is not None and index is not None
        assert scanner is not None
        t = normalize(title or "")
        b = normalize(text or "")
        full = f"{t}\n{b}" if t and b else t or b
        scan = scanner.scan(t, b, full)
        hits = scan.hits
        places = resolve_mentions(scan.mentions, gaz)
        cut: list[list[str]] = []

        def tokens() -> list[str]:
            # Cut once, and only when a model needs tokens: most items never reach the duty router
            # (it matters only for department units with a place inside their jurisdiction).
            if not cut:
                tokenizer = self._tokenizer
                # Raw tokens suffice: the filter in model_tokens only drops tokens the vocabulary lacks.
                cut.append(tokenizer.cut(full) if tokenizer is not None and full else [])
            return cut[0]

        routed: list[tuple[str, float] | None] = []

        def route() -> tuple[str, float] | None:
            if not routed:
                model = self._model
                words = tokens() if model is not None else []
                routed.append(model.predict_tokens(words) if model is not None and words else None)
            return routed[0]
        category, cat_reason = categorize(lex, hits)
        figures = extract_figures(full)
        result = grade(
            category, figures, area=area_class(full, gaz), mentions_quake="地震" in full, tables=tables, text=full
        )
        neg = negativity(lex, hits)
        if self._sentiment is not None and tokens():
            p_neg = negative_probability(self._sentiment, tokens())
            neg = round((1 - self._sentiment_weight) * neg + self._sentiment_weight * p_neg, 3)
        respond, respond_reason = needs_response(lex, hits, category, neg, result.grade, figures)
        units = unit_relevance(index, lex, gaz, t, b, places, category, route, scan.found)
        extra: dict[str, str] = {"category_reason": cat_reason, "needs_response_reason": respond_reason}
        if result.table:
            extra["grading_table"] = result.table
        if routed and routed[0] is not None:
            extra["route"] = f"{routed[0][0]} {routed[0][1]:.2f}"
        regions = sorted({p.region for p in places.places if p.region})
        if regions:
            extra["region"] = "、".join(regions)
        if places.reasons:
            extra["place_notes"] = "；".join(places.reasons)
        if url:
            extra["url"] = url
        return Assessment(
            item_id=item_id,
            units=tuple(units),
            places=places.places + places.unresolved,
            abroad=places.abroad,
            category=category,
            figures=figures,
            severity=Severity(result.grade, result.basis, neg, respond, result.heavy_casualties),
            model_version=self._version,
            extra=extra,
        )
