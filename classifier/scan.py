"""One automaton over every name the classifier looks for (places, lexicon words, unit terms).

Separate automata cost one pass each over title and body; this one pass per part feeds all three.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from classifier._ac import Matcher
from classifier.lexicon import Hits, Lexicon
from classifier.places import Gazetteer, Mention, select_mentions
from classifier.relevance import Found, UnitIndex


@dataclass(frozen=True, slots=True)
class Scan:
    """What one scan of an item found."""

    hits: Hits
    mentions: list[Mention]
    found: list[Found]


class Scanner:
    """Builds the combined automaton once per classifier and scans items with it."""

    def __init__(self, gaz: Gazetteer, lex: Lexicon, index: UnitIndex) -> None:
        self._gaz = gaz
        merged: dict[str, list[Any]] = {}
        for text, key in gaz.keys.items():
            merged.setdefault(text, [None, False, ()])[0] = key
        for word in lex.words:
            merged.setdefault(word, [None, False, ()])[1] = True
        for text, terms in index.terms.items():
            merged.setdefault(text, [None, False, ()])[2] = terms
        self._matcher = Matcher()
        for text, (place, is_word, terms) in merged.items():
            self._matcher.add(text, (place, text if is_word else None, terms))
        self._matcher.build()

    def scan(self, title: str, body: str, full: str) -> Scan:
        """Scan title and body (full is title + "\\n" + body, or whichever is non-empty)."""
        title_hits: Counter[str] = Counter()
        body_hits: Counter[str] = Counter()
        place_spans: list[tuple[int, int, Any]] = []
        found: list[Found] = []
        offset_body = len(title) + 1 if title and body else 0
        for part, in_title, offset, counter in ((title, True, 0, title_hits), (body, False, offset_body, body_hits)):
            if not part:
                continue
            for byte_end, (nchars, (place, word, terms)), to_char in self._matcher.scan(part):
                if word is not None:
                    counter[word] += 1
                if place is None and not terms:
                    continue  # a lexicon word only: no position needed
                end = to_char(byte_end) + offset
                start = end - nchars
                if place is not None:
                    place_spans.append((start, end, place))
                for t in terms:
                    found.append(Found(t, start, end, in_title))
        mentions = select_mentions(place_spans, full, self._gaz) if place_spans else []
        return Scan(Hits(title_hits, body_hits), mentions, found)
