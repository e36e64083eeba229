"""Official grading (突发事件分级) from the tables in data/grading.toml: highest grade any rule reaches."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from classifier.datafiles import DATA_DIR, load_toml, req, str_list
from classifier.errors import DataFileError
from classifier.types import Category, Figures, Grade

GRADING_FILE = DATA_DIR / "grading.toml"
_FIGURES = ("deaths_incl_missing", "serious_injuries", "economic_loss_yuan", "poisoned", "magnitude")
_AREAS = ("populated", "dense")


@dataclass(frozen=True, slots=True)
class Condition:
    """One bound on one figure: min inclusive (以上), max exclusive (以下)."""

    figure: str
    min: float | None
    max: float | None

    def holds(self, value: float | None) -> bool:
        """True when the value is known and inside the bounds."""
        if value is None:
            return False
        if self.min is not None and value < self.min:
            return False
        return not (self.max is not None and value >= self.max)


@dataclass(frozen=True, slots=True)
class Rule:
    """A grade reached when every condition holds (and the area matches, for earthquakes)."""

    grade: Grade
    label: str
    when: tuple[Condition, ...]
    area: str | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """One grading table with its citation and the categories it grades."""

    id: str
    title: str
    citation: str
    categories: tuple[Category, ...]
    rules: tuple[Rule, ...]
    none_grade: Grade
    below_note: str
    requires_any: tuple[str, ...] = ()
    other_when_text: tuple[str, ...] = ()  # for category 其他: words that make this table apply


@dataclass(frozen=True, slots=True)
class FigureLabel:
    """How a figure is named in a basis string."""

    label: str
    unit: str
    label_with_missing: str = ""


@dataclass(frozen=True, slots=True)
class HeavyCasualties:
    """Project definition of 造成重大人员伤亡或社会影响较大 (see grading.toml)."""

    min_grade: Grade
    min_deaths_incl_missing: int
    min_serious_injuries: int
    citation: str


@dataclass(frozen=True, slots=True)
class GradingTables:
    """Everything grading.toml holds, validated."""

    tables: tuple[Table, ...]
    labels: dict[str, FigureLabel]
    heavy: HeavyCasualties
    source: str

    def table_for(self, category: Category, text: str = "") -> Table | None:
        """The table that grades a category (for 其他: the table whose accident words the text names)."""
        for table in self.tables:
            if category in table.categories:
                return table
        if category is Category.OTHER and text:
            for table in self.tables:
                if any(w in text for w in table.other_when_text):
                    return table
        return None


@dataclass(frozen=True, slots=True)
class GradeResult:
    """A grade (None when nothing decides it), its basis, and the heavy-casualties flag."""

    grade: Grade | None
    basis: str
    heavy_casualties: bool
    table: str | None = None


def _grade(value: Any, file: str, key: str) -> Grade:
    try:
        return Grade(value)
    except ValueError as exc:
        raise DataFileError(file, key, f"未知等级 (unknown grade) {value!r}") from exc


def _number(table: dict[str, Any], key: str, file: str, where: str) -> float | None:
    if key not in table:
        return None
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataFileError(file, f"{where}.{key}", f"应为数字 (number expected): {value!r}")
    return float(value)


def load_tables(path: Path = GRADING_FILE) -> GradingTables:
    """Load and validate a grading file; every error names the file and the key."""
    file = str(path)
    raw = load_toml(path)
    labels: dict[str, FigureLabel] = {}
    figures = req(raw, "figures", dict, file, "")
    for name in _FIGURES:
        entry = req(figures, name, dict, file, "figures")
        labels[name] = FigureLabel(
            label=req(entry, "label", str, file, f"figures.{name}"),
            unit=req(entry, "unit", str, file, f"figures.{name}"),
            label_with_missing=str(entry.get("label_with_missing", "")),
        )
    heavy_raw = req(raw, "heavy_casualties", dict, file, "")
    heavy = HeavyCasualties(
        min_grade=_grade(req(heavy_raw, "min_grade", str, file, "heavy_casualties"), file, "heavy_casualties.min_grade"),
        min_deaths_incl_missing=req(heavy_raw, "min_deaths_incl_missing", int, file, "heavy_casualties"),
        min_serious_injuries=req(heavy_raw, "min_serious_injuries", int, file, "heavy_casualties"),
        citation=req(heavy_raw, "citation", str, file, "heavy_casualties"),
    )
    tables: list[Table] = []
    for ti, traw in enumerate(req(raw, "table", list, file, "")):
        where = f"table[{ti}]"
        if not isinstance(traw, dict):
            raise DataFileError(file, where, "应为表 (table expected)")
        cats: list[Category] = []
        for cat in str_list(traw, "categories", file, where):
            try:
                cats.append(Category(cat))
            except ValueError as exc:
                raise DataFileError(file, f"{where}.categories", f"未知类别 (unknown category) {cat!r}") from exc
        rules: list[Rule] = []
        for ri, rraw in enumerate(req(traw, "rule", list, file, where)):
            rwhere = f"{where}.rule[{ri}]"
            conds: list[Condition] = []
            for ci, craw in enumerate(req(rraw, "when", list, file, rwhere)):
                cwhere = f"{rwhere}.when[{ci}]"
                fig = req(craw, "figure", str, file, cwhere)
                if fig not in _FIGURES:
                    raise DataFileError(file, f"{cwhere}.figure", f"未知数字项 (unknown figure) {fig!r}")
                lo, hi = _number(craw, "min", file, cwhere), _number(craw, "max", file, cwhere)
                if lo is None and hi is None:
                    raise DataFileError(file, cwhere, "至少需要 min 或 max (min or max required)")
                if lo is not None and hi is not None and lo >= hi:
                    raise DataFileError(file, cwhere, f"min {lo} 不小于 max {hi}")
                conds.append(Condition(fig, lo, hi))
            if not conds:
                raise DataFileError(file, f"{rwhere}.when", "条件为空 (empty)")
            area = rraw.get("area")
            if area is not None and area not in _AREAS:
                raise DataFileError(file, f"{rwhere}.area", f"应为 {_AREAS} 之一: {area!r}")
            rules.append(
                Rule(
                    grade=_grade(req(rraw, "grade", str, file, rwhere), file, f"{rwhere}.grade"),
                    label=req(rraw, "label", str, file, rwhere),
                    when=tuple(conds),
                    area=area,
                )
            )
        tables.append(
            Table(
                id=req(traw, "id", str, file, where),
                title=req(traw, "title", str, file, where),
                citation=req(traw, "citation", str, file, where),
                categories=tuple(cats),
                rules=tuple(rules),
                none_grade=_grade(req(traw, "none_grade", str, file, where), file, f"{where}.none_grade"),
                below_note=req(traw, "below_note", str, file, where),
                requires_any=str_list(traw, "requires_any", file, where, default=[]),
                other_when_text=str_list(traw, "other_when_text", file, where, default=[]),
            )
        )
    return GradingTables(tuple(tables), labels, heavy, file)


@lru_cache(maxsize=1)
def default_tables() -> GradingTables:
    """The shipped grading tables, loaded once on first use."""
    return load_tables(GRADING_FILE)


def _fmt_value(figure: str, value: float) -> str:
    if figure == "economic_loss_yuan":
        if value >= 100_000_000:
            return f"{value / 100_000_000:g}亿元"
        if value >= 10_000:
            return f"{value / 10_000:g}万元"
        return f"{value:g}元"
    if figure == "magnitude":
        return f"{value:g}"
    return f"{int(value)}"


def figure_values(figures: Figures) -> dict[str, float | None]:
    """The values the tables speak of, derived from extracted figures (missing count with the dead)."""
    dead: float | None = None
    if figures.deaths is not None or figures.missing is not None:
        dead = float((figures.deaths or 0) + (figures.missing or 0))
    return {
        "deaths_incl_missing": dead,
        "serious_injuries": None if figures.serious_injuries is None else float(figures.serious_injuries),
        "economic_loss_yuan": figures.economic_loss_yuan,
        "poisoned": None if figures.poisoned is None else float(figures.poisoned),
        "magnitude": figures.magnitude,
    }


def _describe(tables: GradingTables, figures: Figures, name: str, value: float) -> str:
    lab = tables.labels[name]
    label = lab.label
    if name == "deaths_incl_missing" and figures.missing and lab.label_with_missing:
        label = lab.label_with_missing
    return f"{label}{_fmt_value(name, value)}{lab.unit if name != 'economic_loss_yuan' else ''}"


def is_heavy(tables: GradingTables, grade: Grade | None, figures: Figures) -> bool:
    """造成重大人员伤亡或社会影响较大, by the project definition kept in grading.toml."""
    heavy = tables.heavy
    if grade is not None and grade.level <= heavy.min_grade.level:
        return True
    dead = figure_values(figures)["deaths_incl_missing"]
    if dead is not None and dead >= heavy.min_deaths_incl_missing:
        return True
    return figures.serious_injuries is not None and figures.serious_injuries >= heavy.min_serious_injuries


def grade(
    category: Category,
    figures: Figures,
    *,
    area: str = "populated",
    mentions_quake: bool = False,
    tables: GradingTables | None = None,
    text: str = "",
) -> GradeResult:
    """Grade an item by the table for its category; the basis says which criterion decided."""
    tables = tables or default_tables()
    table = tables.table_for(category, text)
    if table is None:
        return GradeResult(None, f"类别“{category.value}”无适用分级表", is_heavy(tables, None, figures))
    if table.requires_any and not (
        ("magnitude" in table.requires_any and figures.magnitude is not None)
        or ("地震" in table.requires_any and mentions_quake)
    ):
        return GradeResult(None, f"非{table.title}，无适用分级表", is_heavy(tables, None, figures), table.id)
    values = figure_values(figures)
    best: Grade | None = None
    reasons: list[str] = []
    for rule in table.rules:
        if rule.area is not None and not (rule.area == area or (area == "dense" and rule.area == "populated")):
            continue
        if not all(c.holds(values[c.figure]) for c in rule.when):
            continue
        if best is None or rule.grade.level < best.level:
            best, reasons = rule.grade, []
        if rule.grade == best:
            parts = "、".join(_describe(tables, figures, c.figure, values[c.figure] or 0.0) for c in rule.when)
            reasons.append(f"{parts} → {rule.grade.value} ({rule.label})")
    notes: list[str] = []
    if figures.injuries is not None:
        notes.append(f"受伤{figures.injuries}人不计入分级（仅重伤计入）")
    if figures.approximate:
        notes.append("约数按下限计")
    if table.id == "earthquake" and figures.magnitude is not None:
        notes.append("按人口密集地区" if area == "dense" else "按人口较密集地区")
    if best is None:
        known = [n for n, v in values.items() if v is not None]
        if not known and not figures.no_casualties and figures.injuries is None:
            # The table's lowest grade covers "none" too; figures arriving later re-grade the item.
            head = f"未报伤亡、损失数字 → {table.none_grade.value}（{table.title}最低等级，待数字更新）"
            return GradeResult(table.none_grade, head, False, table.id)
        if figures.no_casualties and not known:
            head = f"无人员伤亡 → {table.none_grade.value}"
        else:
            shown = "、".join(_describe(tables, figures, n, values[n] or 0.0) for n in known) or "无死亡、重伤数字"
            head = f"{shown} → {table.none_grade.value}（{table.below_note}）"
        best, reasons = table.none_grade, [head]
    basis = "；".join(reasons + notes)
    return GradeResult(best, basis, is_heavy(tables, best, figures), table.id)
