"""jieba with a private Tokenizer (never the global one), the units' names added as user words."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

# Units' names are in the user dictionary, so the HMM's new-word guessing adds little and costs about
# a third of the cutting time; it stays off (the benchmark cuts jieba the same way for its baseline).
HMM = False


class Tokenizer:
    """A lazily initialised jieba Tokenizer with extra user words."""

    def __init__(self, user_words: Iterable[str] = ()) -> None:
        self._words = tuple(dict.fromkeys(w.strip() for w in user_words if w and w.strip()))
        self._tk: Any = None
        self._lock = threading.Lock()

    @property
    def user_words(self) -> tuple[str, ...]:
        """The words added on top of jieba's dictionary."""
        return self._words

    def _get(self) -> Any:
        if self._tk is None:
            with self._lock:
                if self._tk is None:
                    import logging

                    import jieba

                    logging.getLogger("jieba").setLevel(logging.WARNING)
                    tk = jieba.Tokenizer()
                    tk.initialize()
                    for word in self._words:
                        # A high frequency makes the whole name win over its pieces.
                        tk.add_word(word, freq=max(tk.suggest_freq(word), 1000))
                    self._tk = tk
        return self._tk

    def cut(self, text: str) -> list[str]:
        """Tokens of text (jieba precise mode), whitespace dropped."""
        return [t for t in self._get().cut(text, HMM=HMM) if not t.isspace()]

    def warm(self) -> None:
        """Build the dictionary now (otherwise the first cut does)."""
        self._get()
