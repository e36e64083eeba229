"""Category of an item from the keyword lexicon, optionally blended with a trained model's vote."""

from __future__ import annotations

from classifier.lexicon import Hits, Lexicon
from classifier.types import Category

# A body word repeated many times says no more than a few mentions do.
_MAX_COUNT = 3


def category_scores(lex: Lexicon, hits: Hits) -> dict[Category, float]:
    """Keyword score per category (title hits weighted by the lexicon's title_weight)."""
    scores: dict[Category, float] = {}
    index = lex.word_categories
    tw = lex.title_weight
    # Walk the words found (few) rather than the lexicon (hundreds).
    for counter, mult in ((hits.title, tw), (hits.body, 1.0)):
        for word, n in counter.items():
            for cat, weight in index.get(word, ()):
                scores[cat] = scores.get(cat, 0.0) + weight * mult * min(n, _MAX_COUNT)
    return scores


def categorize(
    lex: Lexicon, hits: Hits, model_vote: tuple[Category, float] | None = None
) -> tuple[Category, str]:
    """The winning category and a reason naming the score (其他 when nothing reaches min_score)."""
    scores = category_scores(lex, hits)
    if model_vote is not None:
        cat, prob = model_vote
        # The model breaks ties and rescues weak keyword evidence; it does not overrule clear keywords.
        scores[cat] = scores.get(cat, 0.0) + prob * lex.min_category_score * 2
    if not scores:
        return Category.OTHER, "无类别关键词"
    order = list(lex.category_keywords)
    best = max(scores, key=lambda c: (scores[c], -order.index(c) if c in order else -len(order)))
    if scores[best] < lex.min_category_score:
        return Category.OTHER, f"类别关键词不足（{best.value} {scores[best]:.1f}）"
    return best, f"类别 {best.value}（关键词得分 {scores[best]:.1f}）"
