"""Near-duplicate fingerprints: 64-bit SimHash over character 2-grams, banded for linear-cost lookup.

Why these choices (measured with bench/dedup.py on shared headlines, Weibo posts and 12345
messages with planted reprints; figures in the bench output and the crawlers report):
- Character 2-grams, not words: no tokeniser needed (jieba belongs to the classifier), robust for
  Chinese without spaces; an edit touches 2 shingles instead of 3, which raised recall on edited
  reprints from 0.61 (3-grams) to 0.68 with no false joins between texts of 20+ characters.
- Weights are shingle counts (Charikar); binary or log weights lost 3-5 points of recall.
- Credits, datelines, URLs and timestamps are stripped before shingling, so a reprint with another
  source line keeps its fingerprint (recall 0.99 on that kind of reprint).
- BANDS = 4 bands of 16 bits and NEAR_DUPLICATE_DISTANCE = 3: two fingerprints within distance 3
  agree on at least one of 4 bands (pigeonhole), so band-equality candidate lookup misses no pair
  within the distance. 16-bit bands keep buckets tiny (about n/65536 random candidates per band),
  so the cost grows linearly. 8 bands of 8 bits would allow distance 5-7 (recall 0.73-0.84 at 25k)
  but every lookup scans n/256 candidates per band: 10x slower at 25k and quadratic beyond.
- Multi-probe lookup and a length-dependent distance (near_duplicate_distance): besides each band's
  value, the 16 values one bit away are probed, which finds every pair within 2 * BANDS - 1 = 7
  (some band then differs in at most one bit) with the same 16-bit bands. A join is accepted within
  a distance that depends on the new item's length (NEAR_DUPLICATE_RULE); short texts with 1-3
  character edits land at distance 5-8, which the fixed distance 3 missed. Every join to another
  fingerprint also needs the same numbers on both sides (figures_agree), so templated notices of
  separate incidents stay apart. Recall 0.68 -> 0.84 (25k) and 0.87 (100k), precision for 20+
  characters 0.999 / 0.997 (without the numbers check 0.89 / 0.90 at 0.998 / 0.992).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

BANDS = 4
# The distance for texts too short for a larger one (see NEAR_DUPLICATE_RULE); also the largest
# distance plain band equality guarantees to find (BANDS - 1).
NEAR_DUPLICATE_DISTANCE = 3
# The largest distance the one-bit-per-band probing guarantees to find: some band differs in <= 1 bit.
MAX_NEAR_DUPLICATE_DISTANCE = 2 * BANDS - 1
# Distance within which an item joins an earlier one, by the number of characters SimHash saw for
# the new item (fingerprint_length: letters/digits after credits are stripped; the title is included
# for bodies under MIN_BODY_CHARS): (from this many characters, distance), ascending.
# Chosen on bench/dedup.py (25k and 100k items) with the breakpoints 40/60/100/300 fixed beforehand,
# as the grid point (distances 3..7 per range) with the best recall at both sizes that keeps
# precision for 20+ characters >= 0.99 and overall precision within 0.005 of distance 3:
# - under 40: 3 (as before): unrelated short posts ("加油啊啊啊…") lie at 3-7 from each other;
# - 40-59: 4; 60-99: 7: a 1-3 character edit moves a short text by 4-8 bits, unrelated texts of
#   this length are rarely within 7;
# - 100-299: 6 and 300+: 5: long texts of one domain (12345 complaints) share frequent shingles, so
#   their fingerprints converge; unrelated long messages were found at distance 5-7 while reprints
#   rarely exceed 5. Raising 100-299 to 7 cost 0.003 of precision_20plus at 100k for +0.016 recall.
NEAR_DUPLICATE_RULE: tuple[tuple[int, int], ...] = ((0, 3), (40, 4), (60, 7), (100, 6), (300, 5))
SHINGLE = 2
# Texts shorter than this (after normalisation) are fingerprinted together with their title.
MIN_BODY_CHARS = 40

if TYPE_CHECKING:
    from crawlers.types import FetchedItem

_MASK64 = (1 << 64) - 1
_U64 = np.uint64


# Lines that reprints add, drop or change without changing the story: source/editor/reporter
# credits, datelines, "original title" notes, URLs and publication timestamps. Removed before
# shingling so a reprint with another source line keeps (nearly) the same fingerprint.
_CREDIT_WORD = r"(?:来源|来自|出处|稿源|原标题|责任编辑|责编|编辑|作者|记者|通讯员|摄影|转载自|转自)"
_CREDIT = r"(?:本文|文章|稿件|图片|视频)?" + _CREDIT_WORD
# Separate patterns, not one alternation: each keeps its literal-prefix fast path (5x faster).
_BOILERPLATE = tuple(
    re.compile(p)
    for p in (
        # a whole short line that is a credit ("来源：新华社", "原标题：……", "本文来自澎湃新闻")
        r"(?m)^[ \t]*[（(【\[]?\s*" + _CREDIT + r"[^\n。]{0,60}$",
        # an inline credit up to the end of its clause
        _CREDIT_WORD + r"\s*[:：丨|]\s*[^\n。！？]{0,30}",
        r"[（(【\[]\s*(?:记者|通讯员|来源|编辑|作者|实习生)[^）)】\]]{0,40}[）)】\]]",
        r"(?:新华社|中新社|中新网|人民网|央视网|央视新闻|光明网|澎湃新闻)[\u4e00-\u9fff]{0,8}\d{1,2}月\d{1,2}日(?:电|讯)",
        r"https?://\S+",
        r"\d{4}[-/年.]\d{1,2}[-/月.]\d{1,2}日?\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?",
    )
)


# Cheap literal pre-check: most texts carry no credit line, and the full pattern is costly.
_BOILERPLATE_HINT = re.compile(
    r"来源|来自|出处|稿源|原标题|编辑|责编|作者|记者|通讯员|摄影|转自|转载|新华社|中新|人民网|央视|光明网|澎湃|http|\d{4}"
)


@lru_cache(maxsize=1)
def _alnum_table() -> npt.NDArray[np.bool_]:
    """isalnum() for every BMP code point, built on first use (not at import)."""
    return np.array([chr(cp).isalnum() for cp in range(0x10000)], dtype=np.bool_)


def _strip_credits(text: str) -> str:
    if _BOILERPLATE_HINT.search(text):
        for pattern in _BOILERPLATE:
            text = pattern.sub(" ", text)
    return text


def _codepoints(text: str) -> npt.NDArray[np.uint64]:
    """Code points SimHash sees: credits removed, full-width and upper-case ASCII folded, letters/digits only."""
    cps = np.frombuffer(_strip_credits(text).encode("utf-32-le"), dtype="<u4").copy()
    # Same folding as crawlers.text.fold_width + ASCII lower-casing, vectorised (per-item cost matters).
    wide = (cps >= 0xFF01) & (cps <= 0xFF5E)
    cps[wide] -= 0xFEE0
    upper = (cps >= 0x41) & (cps <= 0x5A)
    cps[upper] += 0x20
    bmp = cps < 0x10000
    keep = np.where(bmp, _alnum_table()[np.where(bmp, cps, 0)], True)
    return cps[keep].astype(np.uint64)


def _informative(text: str) -> str:
    """The characters SimHash sees: full-width folded, case-folded, credits removed, letters/digits only."""
    return _codepoints(text).astype("<u4").tobytes().decode("utf-32-le")


def _mix(z: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    # splitmix64 finaliser: a stable, well-spread 64-bit hash (Python's hash() is salted per process).
    z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
    return z ^ (z >> _U64(31))


def _shingle_hashes(cps: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    k = min(SHINGLE, len(cps))
    with np.errstate(over="ignore"):
        acc = np.zeros(len(cps) - k + 1, dtype=np.uint64)
        for i in range(k):
            acc = acc * _U64(0x100000001B3) + cps[i : len(cps) - k + 1 + i] + _U64(0x9E3779B97F4A7C15)
        return _mix(acc)


def simhash(text: str) -> int:
    """64-bit SimHash of text over character 2-grams, as a signed int64 (0 for empty text)."""
    return _simhash_cps(_codepoints(text))


def _simhash_cps(cps: npt.NDArray[np.uint64]) -> int:
    if not len(cps):
        return 0
    hashes = _shingle_hashes(cps)
    # Count weights: every occurrence of a shingle votes, so no np.unique is needed.
    bits = np.unpackbits(hashes.astype("<u8").view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    votes = 2 * bits.sum(axis=0, dtype=np.int64) - len(hashes)
    packed = np.packbits(votes > 0, bitorder="little").tobytes()
    return int.from_bytes(packed, "little", signed=True)


def item_fingerprint(title: str, text: str) -> int:
    """The fingerprint stored on a FetchedItem: the body's SimHash, with the title for short bodies."""
    return item_signature(title, text)[0]


def item_signature(title: str, text: str) -> tuple[int, int]:
    """item_fingerprint and fingerprint_length in one pass: (fingerprint, characters SimHash saw)."""
    cps = _codepoints(text)
    if len(cps) < MIN_BODY_CHARS:
        cps = _codepoints(f"{title}\n{text}")
    return _simhash_cps(cps), len(cps)


def fingerprint_length(title: str, text: str) -> int:
    """How many characters item_fingerprint hashed (the length NEAR_DUPLICATE_RULE looks at)."""
    cps = _codepoints(text)
    return len(cps) if len(cps) >= MIN_BODY_CHARS else len(_codepoints(f"{title}\n{text}"))


def near_duplicate_distance(length: int, cap: int | None = None) -> int:
    """The join distance for an item whose fingerprint saw `length` characters (NEAR_DUPLICATE_RULE).

    `cap` (settings.crawl.near_duplicate_distance) lowers it: 0 joins identical fingerprints only,
    3 is the fixed distance used before the rule; a cap above the rule changes nothing.
    """
    distance = NEAR_DUPLICATE_DISTANCE
    for min_length, value in NEAR_DUPLICATE_RULE:
        if length >= min_length:
            distance = value
    return distance if cap is None else max(0, min(distance, cap))


def item_near_distance(item: FetchedItem, cap: int | None = None) -> int:
    """near_duplicate_distance for a fetched item (what storage's clustering is given per item)."""
    return near_duplicate_distance(fingerprint_length(item.title, item.text), cap)


# Numbers in a text: Arabic (full-width folded by _informative) and runs of two or more Chinese numerals.
_FIGURE = re.compile(r"[0-9]+|[零〇一二两三四五六七八九十百千万亿]{2,}")


def figures(title: str, text: str) -> tuple[str, ...]:
    """The numbers of the text item_fingerprint hashes (dates, counts, road numbers), sorted.

    A near-duplicate join (any but an identical fingerprint) needs the same figures on both sides
    (figures_agree): two separate incidents written from one template (通报：XX路段发生交通事故，造成N人
    死亡; daily notices) differ in little but their numbers, and folding a new incident into an old
    event would leave it without a case of its own: a missed deadline, worse than a duplicate case
    staff can merge. An update with new figures at the same URL is a revision (service.jobs) and still
    joins its event; at another URL it opens its own case, which staff fold in with 并入.
    """
    body = _informative(text)
    source = body if len(body) >= MIN_BODY_CHARS else _informative(f"{title}\n{text}")
    return tuple(sorted(_FIGURE.findall(source)))


def figures_agree(new_title: str, new_text: str, old_title: str, old_text: str) -> bool:
    """True when two items carry the same numbers (the check on every near-duplicate join)."""
    return figures(new_title, new_text) == figures(old_title, old_text)


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two 64-bit fingerprints (signed or unsigned)."""
    return ((a ^ b) & _MASK64).bit_count()


def bands(fp: int, n: int = BANDS) -> tuple[int, ...]:
    """Split the 64 bits into n equal bands (band 0 = lowest bits); values are unsigned ints."""
    if n <= 0 or 64 % n:
        raise ValueError(f"bands: n must divide 64, got {n}")
    width = 64 // n
    u = fp & _MASK64
    low = (1 << width) - 1
    return tuple((u >> (i * width)) & low for i in range(n))


def band_probes(value: int, width: int) -> tuple[int, ...]:
    """A band value and the `width` values one bit away from it (the multi-probe lookup keys)."""
    return (value, *(value ^ (1 << bit) for bit in range(width)))


class NearDuplicateIndex:
    """In-memory banded SimHash index: add() returns the cluster an item joins (linear cost).

    `distance` is the default join distance; add() and nearest() take a per-item distance (e.g.
    near_duplicate_distance of the item's length). Up to n_bands - 1 exact band lookups find every
    pair; up to 2 * n_bands - 1 the values one bit away in each band are probed as well.
    """

    def __init__(self, distance: int = NEAR_DUPLICATE_DISTANCE, n_bands: int = BANDS) -> None:
        if n_bands <= 0 or 64 % n_bands:
            raise ValueError(f"n_bands must divide 64, got {n_bands}")
        self.n_bands = n_bands
        self.distance = self._checked(distance)
        self._width = 64 // n_bands
        self._tables: list[dict[int, list[int]]] = [{} for _ in range(n_bands)]
        self._fps: list[int] = []
        self._ids: list[Hashable] = []
        self._clusters: list[Hashable] = []
        self._exact: dict[int, int] = {}

    def _checked(self, distance: int) -> int:
        if not 0 <= distance <= 2 * self.n_bands - 1:
            # Beyond 2 * n_bands - 1 even one-bit probes can miss pairs within the distance.
            raise ValueError(f"distance {distance} needs more than {self.n_bands} bands")
        return distance

    def __len__(self) -> int:
        return len(self._fps)

    def nearest(
        self, fp: int, distance: int | None = None, accept: Callable[[Hashable], bool] | None = None
    ) -> tuple[Hashable, int] | None:
        """Cluster id and distance of the closest stored fingerprint within the distance, or None.

        `accept(item id)` vets every candidate with another fingerprint (e.g. figures_agree on the texts).
        """
        limit = self.distance if distance is None else self._checked(distance)
        u = fp & _MASK64
        slot = self._exact.get(u)
        if slot is not None:
            return self._clusters[slot], 0
        best: tuple[int, int] | None = None  # (distance, slot): ties go to the earliest item
        probe = limit >= self.n_bands
        for table, value in zip(self._tables, bands(u, self.n_bands), strict=True):
            for key in band_probes(value, self._width) if probe else (value,):
                for cand in table.get(key, ()):
                    d = (self._fps[cand] ^ u).bit_count()
                    if d > limit or (best is not None and (d, cand) >= best):
                        continue
                    if d > 0 and accept is not None and not accept(self._ids[cand]):
                        continue
                    best = (d, cand)
        return None if best is None else (self._clusters[best[1]], best[0])

    def add(
        self,
        item_id: Hashable,
        fp: int,
        distance: int | None = None,
        accept: Callable[[Hashable], bool] | None = None,
    ) -> Hashable:
        """Store fp; return the cluster id: the nearest earlier item's cluster, else item_id itself."""
        u = fp & _MASK64
        found = self.nearest(u, distance, accept)
        cluster = item_id if found is None else found[0]
        if u in self._exact:
            # An identical fingerprint adds nothing to the band tables; keeps buckets small.
            return cluster
        slot = len(self._fps)
        self._fps.append(u)
        self._ids.append(item_id)
        self._clusters.append(cluster)
        self._exact[u] = slot
        for table, value in zip(self._tables, bands(u, self.n_bands), strict=True):
            table.setdefault(value, []).append(slot)
        return cluster
