"""One automaton over every name the classifier looks for (places, lexicon words, unit terms).

Separate automata cost one pass each over title and body; this one pass per part feeds all three.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from classifier._ac import new_automaton
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
        # Values: a bare str for a key that is only a lexicon word (the common case: counted, no
        # position needed), else (chars, place key, lexicon word, unit terms).
        self._auto = new_automaton()
        for text, (place, is_word, terms) in merged.items():
            value: Any = text if place is None and not terms else (len(text), place, text if is_word else None, terms)
            self._auto.add_word(text.encode("utf-8").decode("latin-1"), value)
        self._empty = not merged
        if merged:
            self._auto.make_automaton()

    def scan(self, title: str, body: str, full: str) -> Scan:
        """Scan title and body (full is title + "\\n" + body, or whichever is non-empty)."""
        title_hits: Counter[str] = Counter()
        body_hits: Counter[str] = Counter()
        place_spans: list[tuple[int, int, Any]] = []
        found: list[Found] = []
        offset_body = len(title) + 1 if title and body else 0
        for part, in_title, offset, counter in ((title, True, 0, title_hits), (body, False, offset_body, body_hits)):
            if not part or self._empty:
                continue
            # Match UTF-8 bytes (see _ac.py); byte offsets convert to characters only where needed.
            enc = part.encode("utf-8").decode("latin-1")
            ascii_only = len(enc) == len(part)
            raw = b"" if ascii_only else enc.encode("latin-1")
            last_byte = last_char = 0
            for end, value in self._auto.iter(enc):
                if value.__class__ is str:
                    counter[value] += 1
                    continue
                nchars, place, word, terms = value
                if word is not None:
                    counter[word] += 1
                stop_byte = end + 1
                if ascii_only:
                    stop = stop_byte
                else:
                    if stop_byte != last_byte:
                        last_char += len(raw[last_byte:stop_byte].decode("utf-8"))
                        last_byte = stop_byte
                    stop = last_char
                stop += offset
                begin = stop - nchars
                if place is not None:
                    place_spans.append((begin, stop, place))
                for t in terms:
                    found.append(Found(t, begin, stop, in_title))
        mentions = select_mentions(place_spans, full, self._gaz) if place_spans else []
        return Scan(Hits(title_hits, body_hits), mentions, found)
