"""Place names in text resolved to the administrative hierarchy (cpca's gazetteer of adcodes)."""

from __future__ import annotations

import csv
import importlib.util
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from classifier._ac import Matcher
from classifier.datafiles import DATA_DIR, load_toml, req, str_list
from classifier.errors import DataFileError, JurisdictionError
from classifier.types import Place

PLACES_FILE = DATA_DIR / "places.toml"
_MUNICIPALITIES = ("11", "12", "31", "50")
_SUFFIX_RE = re.compile(r"[^省市区县镇乡旗盟州]+?(?:特别行政区|自治区|自治州|自治县|地区|街道|省|市|区|县|镇|乡|旗|盟)")
_ADCODE_RE = re.compile(r"\d{6}(?:\d{6})?")


@dataclass(frozen=True, slots=True)
class Division:
    """One administrative division of the gazetteer."""

    adcode: str  # 6 digits
    name: str
    rank: int  # 0 province, 1 prefecture city, 2 county

    def contains(self, other: Division) -> bool:
        """True when other lies inside (or is) this division, judged by the adcode prefix."""
        width = (self.rank + 1) * 2
        return other.adcode[:width] == self.adcode[:width]


@dataclass(frozen=True, slots=True)
class _Key:
    text: str
    codes: tuple[str, ...]
    short: bool
    kind: str  # "cn", "abroad", "special"
    region: str = ""


@dataclass
class Gazetteer:
    """Divisions by adcode, plus one Aho-Corasick automaton over every name and short form."""

    divisions: dict[str, Division]
    automaton: Matcher
    block_next: str
    dense: tuple[str, ...]
    sparse: tuple[str, ...]
    regions: dict[str, str] = field(default_factory=dict)  # adcode → 香港/澳门/台湾
    keys: dict[str, Any] = field(default_factory=dict)  # every matchable name → its key

    def division(self, adcode: str) -> Division | None:
        """Look a division up by its 6- or 12-digit code."""
        return self.divisions.get(adcode[:6])

    def ancestors(self, div: Division) -> list[Division]:
        """The province and prefecture above a division (those that exist), top first."""
        out: list[Division] = []
        prov = self.divisions.get(div.adcode[:2] + "0000")
        if prov is not None and prov.adcode != div.adcode:
            out.append(prov)
        city = self.divisions.get(div.adcode[:4] + "00")
        if div.rank == 2 and city is not None and city.adcode != div.adcode:
            out.append(city)
        return out

    def to_place(self, div: Division, mention: str) -> Place:
        """A Place for a division, with province, city and county filled in from the hierarchy."""
        prov = self.divisions.get(div.adcode[:2] + "0000")
        city_div = self.divisions.get(div.adcode[:4] + "00") if div.rank >= 1 else None
        province = prov.name if prov else None
        city: str | None = None
        if div.rank >= 1:
            # Municipalities' districts sit under 市辖区; the city is the municipality itself.
            city = province if div.adcode[:2] in _MUNICIPALITIES else (city_div.name if city_div else None)
        elif div.adcode[:2] in _MUNICIPALITIES:
            city = div.name
        county = div.name if div.rank == 2 else None
        return Place(
            province=province,
            city=city,
            county=county,
            adcode=div.adcode,
            mention=mention,
            region=self.regions.get(div.adcode[:2] + "0000", ""),
        )


def _gazetteer_csv() -> Path:
    # Locate cpca's data without importing cpca: its __init__ loads pandas and builds its own matcher.
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise DataFileError("cpca/resources/adcodes.csv", "-", "未安装 cpca (gazetteer package missing)")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


def _rank(code: str) -> int:
    if code.endswith("0000"):
        return 0
    if code.endswith("00"):
        return 1
    return 2


def build_gazetteer(path: Path = PLACES_FILE) -> Gazetteer:
    """Build the gazetteer from cpca's adcodes.csv and places.toml."""
    file = str(path)
    raw = load_toml(path)
    skip = set(str_list(raw, "skip_names", file, ""))
    stop = set(str_list(raw, "short_name_stop", file, ""))
    block_next = req(raw, "short_name_block_next", str, file, "")
    abbreviations = req(raw, "abbreviations", dict, file, "")
    divisions: dict[str, Division] = {}
    with _gazetteer_csv().open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code, name = row["adcode"][:6], row["name"]
            if name in skip:
                continue
            divisions[code] = Division(code, name, _rank(code))
    names: dict[str, tuple[list[str], bool, str, str]] = {}

    def add(text: str, code: str, short: bool, kind: str = "cn", region: str = "") -> None:
        if len(text) < 2:
            return
        entry = names.setdefault(text, ([], short, kind, region))
        if code not in entry[0]:
            entry[0].append(code)

    for div in divisions.values():
        add(div.name, div.adcode, False)
        short = abbreviations.get(div.name)
        if short is None:
            if div.rank == 0:
                short = re.sub(r"(省|市|特别行政区|自治区)$", "", div.name)
            elif div.name.endswith(("市", "地区")):
                short = re.sub(r"(市|地区)$", "", div.name)
        if short and short != div.name and len(short) >= 2 and short not in stop and short not in divisions:
            add(short, div.adcode, True)
    regions: dict[str, str] = {}
    specials = req(raw, "special_regions", dict, file, "")
    for region, spec in specials.items():
        where = f"special_regions.{region}"
        code = req(spec, "adcode", str, file, where)
        if code not in divisions:
            raise DataFileError(file, f"{where}.adcode", f"区划库中没有 {code}")
        regions[code] = region
        for extra in str_list(spec, "names", file, where):
            add(extra, code, False, "cn", region)
    abroad = req(raw, "abroad", dict, file, "")
    for name in str_list(abroad, "names", file, "abroad"):
        names[name] = ([], False, "abroad", "")
    density = req(raw, "density", dict, file, "")
    automaton = Matcher()
    keys: dict[str, _Key] = {}
    for text, (codes, short, kind, region) in names.items():
        keys[text] = _Key(text, tuple(codes), short, kind, region)
        automaton.add(text, keys[text])
    automaton.build()
    return Gazetteer(
        divisions=divisions,
        automaton=automaton,
        block_next=block_next,
        dense=str_list(density, "dense", file, "density"),
        sparse=str_list(density, "sparse", file, "density"),
        regions=regions,
        keys=keys,
    )


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The shipped gazetteer, built once on first use (not at import)."""
    return build_gazetteer()


@dataclass(frozen=True, slots=True)
class Mention:
    """One place name found in text, before resolution."""

    start: int
    end: int
    key: _Key


def find_mentions(text: str, gaz: Gazetteer) -> list[Mention]:
    """Leftmost-longest, non-overlapping place-name mentions."""
    return select_mentions(gaz.automaton.spans(text), text, gaz)


def select_mentions(spans: Iterable[tuple[int, int, Any]], text: str, gaz: Gazetteer) -> list[Mention]:
    """Leftmost-longest, non-overlapping mentions from raw (start, end, key) matches in text."""
    found: list[Mention] = []
    for start, end, key in spans:
        if key.short and end < len(text) and text[end] in gaz.block_next:
            continue
        found.append(Mention(start, end, key))
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    out: list[Mention] = []
    last_end = -1
    for m in found:
        if m.start >= last_end:
            out.append(m)
            last_end = m.end
        elif out and m.start == out[-1].start and m.end > out[-1].end:
            out[-1] = m
            last_end = m.end
    return out


@dataclass(frozen=True, slots=True)
class PlaceResult:
    """Places found in a text: resolved mainland/SAR/Taiwan places, foreign ones, unresolved ones."""

    places: tuple[Place, ...]
    divisions: tuple[Division, ...]
    abroad: bool
    unresolved: tuple[Place, ...] = ()
    reasons: tuple[str, ...] = ()


def _describe_div(gaz: Gazetteer, div: Division) -> str:
    return "".join(a.name for a in gaz.ancestors(div)) + div.name


def resolve(text: str, gaz: Gazetteer | None = None) -> PlaceResult:
    """Find the places a text names and resolve each up the hierarchy; ambiguity is never guessed."""
    gaz = gaz or default_gazetteer()
    return resolve_mentions(find_mentions(text, gaz), gaz)


def resolve_mentions(mentions: list[Mention], gaz: Gazetteer) -> PlaceResult:
    """Resolve selected mentions (see select_mentions) up the hierarchy."""
    if not mentions:
        return PlaceResult((), (), False)
    # Names with one reading anchor the ambiguous ones ("长春市朝阳区", "吉林…朝阳区").
    anchors: list[Division] = []
    for m in mentions:
        if m.key.kind == "cn" and len(m.key.codes) == 1:
            anchors.append(gaz.divisions[m.key.codes[0]])
    chosen: list[tuple[Division, str]] = []
    foreign: list[Place] = []
    unresolved: list[Place] = []
    reasons: list[str] = []
    prev: Division | None = None
    for m in mentions:
        if m.key.kind == "abroad":
            foreign.append(Place(mention=m.key.text, abroad=True))
            prev = None
            continue
        cands = [gaz.divisions[c] for c in m.key.codes]
        pick: Division | None = None
        if len(cands) == 1:
            pick = cands[0]
        else:
            # Nested readings (吉林 = 吉林省 ⊃ 吉林市) resolve to the broadest one.
            top = min(cands, key=lambda d: d.rank)
            if all(top.contains(d) for d in cands):
                pick = top
            elif prev is not None and sum(prev.contains(d) for d in cands) == 1:
                pick = next(d for d in cands if prev.contains(d))
            else:
                ctx = [d for d in cands if any(a.contains(d) and a.adcode != d.adcode for a in anchors)]
                if len(ctx) == 1:
                    pick = ctx[0]
                    reasons.append(f"歧义地名 {m.key.text} 按上下文解析为 {_describe_div(gaz, pick)}")
        if pick is None:
            if any(u.mention == m.key.text for u in unresolved):
                prev = None
                continue
            options = "、".join(_describe_div(gaz, d) for d in cands)
            note = f"歧义地名 {m.key.text}：可指 {options}，文中无可据上下文，未解析"
            unresolved.append(Place(mention=m.key.text, note=note))
            reasons.append(note)
            prev = None
            continue
        chosen.append((pick, m.key.text))
        prev = pick
    # Keep the most specific places: an ancestor mentioned alongside its descendant adds nothing.
    divs = [d for d, _ in chosen]
    places: list[Place] = []
    kept: list[Division] = []
    seen: set[str] = set()
    for div, mention in chosen:
        if div.adcode in seen:
            continue
        if any(o.adcode != div.adcode and div.contains(o) for o in divs):
            continue
        seen.add(div.adcode)
        kept.append(div)
        places.append(gaz.to_place(div, mention))
    abroad = bool(foreign) and not any(not p.region for p in places)
    return PlaceResult(tuple(places + foreign), tuple(kept), abroad, tuple(unresolved), tuple(reasons))


def area_class(text: str, gaz: Gazetteer | None = None) -> str:
    """Population density for earthquake grading: "dense", "sparse" or "populated" (the default)."""
    gaz = gaz or default_gazetteer()
    if any(w in text for w in gaz.dense):
        return "dense"
    if any(w in text for w in gaz.sparse):
        return "sparse"
    return "populated"


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """A unit's jurisdiction: a gazetteer division when there is one, else its own names for text matching."""

    source: str
    division: Division | None
    place: Place | None
    names: tuple[str, ...]  # names below the gazetteer's depth (镇/街道) or not in it (fictional)
    textual: bool
    reason: str


def resolve_jurisdiction(jurisdiction: str, gaz: Gazetteer | None = None) -> Jurisdiction:
    """Resolve a unit's jurisdiction (division name or 6/12-digit adcode) to a Place, or to its names."""
    gaz = gaz or default_gazetteer()
    source = jurisdiction.strip()
    if not source:
        raise JurisdictionError("辖区为空 (empty jurisdiction)")
    if _ADCODE_RE.fullmatch(source):
        coded = gaz.division(source)
        if coded is None:
            raise JurisdictionError(f"区划代码 {source} 不在区划库中 (unknown adcode)")
        return Jurisdiction(source, coded, gaz.to_place(coded, source), (), False, f"区划代码 {coded.adcode}")
    mentions = [m for m in find_mentions(source, gaz) if m.key.kind == "cn"]
    div: Division | None = None
    end = 0
    for m in mentions:
        cands = [gaz.divisions[c] for c in m.key.codes]
        fits = [d for d in cands if div is None or div.contains(d)]
        if div is not None and not fits:
            break
        if len(fits) > 1:
            top = min(fits, key=lambda d: d.rank)
            if not all(top.contains(d) for d in fits):
                options = "、".join(_describe_div(gaz, d) for d in fits)
                raise JurisdictionError(f"辖区 {source} 有歧义（{options}），请写全上级区划或使用区划代码")
            fits = [top]
        div = fits[0]
        end = m.end
    rest = source[end:]
    names = tuple(_SUFFIX_RE.findall(rest)) or ((rest,) if rest else ())
    if div is not None and not names:
        return Jurisdiction(source, div, gaz.to_place(div, source), (), False, f"区划 {_describe_div(gaz, div)}")
    if div is None:
        names = tuple(_SUFFIX_RE.findall(source)) or (source,)
        return Jurisdiction(source, None, None, names, True, f"辖区 {source} 不在区划库中，按名称文本匹配")
    # Below the gazetteer's depth (a town or street): matched by its own names inside the division.
    return Jurisdiction(
        source, div, gaz.to_place(div, source), names, True,
        f"辖区 {source} 低于区划库层级，按名称“{'、'.join(names)}”文本匹配（上级 {_describe_div(gaz, div)}）",
    )


def within(place: Place, jurisdiction: Jurisdiction, gaz: Gazetteer | None = None) -> bool:
    """True when a resolved place lies inside a jurisdiction resolved to a gazetteer division."""
    if jurisdiction.division is None or place.adcode is None or jurisdiction.names:
        return False
    gaz = gaz or default_gazetteer()
    div = gaz.division(place.adcode)
    return div is not None and jurisdiction.division.contains(div)
