"""Quality on the project's labelled development set: category, units, grade, needs_response."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier.assess import Classifier
from classifier.datafiles import DATA_DIR, load_toml, req, str_list
from classifier.errors import DataFileError
from classifier.models import per_class_report
from classifier.types import Assessment, UnitKind, UnitProfile

DEVSET_DIR = DATA_DIR / "devset"
DEVSET_FILE = DEVSET_DIR / "devset.jsonl"
DEVSET_UNITS = DEVSET_DIR / "units.toml"
FLOORS_FILE = DATA_DIR / "quality_floors.toml"
NONE = "无"


def load_units(path: Path) -> tuple[UnitProfile, ...]:
    """UnitProfiles from a TOML file of [[unit]] tables (the dev set's own units)."""
    file = str(path)
    raw = load_toml(path)
    out: list[UnitProfile] = []
    for i, u in enumerate(req(raw, "unit", list, file, "")):
        where = f"unit[{i}]"
        try:
            kind = UnitKind(u.get("kind", UnitKind.DEPARTMENT.value))
        except ValueError as exc:
            raise DataFileError(file, f"{where}.kind", f"应为 territorial 或 department: {u.get('kind')!r}") from exc
        out.append(
            UnitProfile(
                id=req(u, "id", str, file, where),
                name=req(u, "name", str, file, where),
                jurisdiction=req(u, "jurisdiction", str, file, where),
                kind=kind,
                aliases=str_list(u, "aliases", file, where, default=[]),
                duties=str_list(u, "duties", file, where, default=[]),
                subordinates=str_list(u, "subordinates", file, where, default=[]),
                leaders=str_list(u, "leaders", file, where, default=[]),
                exclude=str_list(u, "exclude", file, where, default=[]),
                places=str_list(u, "places", file, where, default=[]),
            )
        )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class DevItem:
    """One labelled item of the development set."""

    id: str
    title: str
    text: str
    units: tuple[str, ...]
    category: str
    grade: str | None
    needs_response: bool


def load_devset(path: Path = DEVSET_FILE) -> list[DevItem]:
    """The labelled items; a malformed line raises DataFileError naming the line."""
    items: list[DevItem] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            items.append(
                DevItem(
                    id=str(row["id"]),
                    title=str(row.get("title", "")),
                    text=str(row.get("text", "")),
                    units=tuple(row["units"]),
                    category=str(row["category"]),
                    grade=row["grade"],
                    needs_response=bool(row["needs_response"]),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DataFileError(str(path), f"line {n}", f"标注行无效 (bad labelled line): {exc}") from exc
    return items


@dataclass
class DevReport:
    """Per-class reports for each task, plus the items the classifier got wrong (for reading)."""

    category: dict[str, dict[str, float]]
    units: dict[str, dict[str, float]]
    grade: dict[str, dict[str, float]]
    needs_response: dict[str, dict[str, float]]
    n_items: int
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain-data form (for JSON)."""
        return {
            "n_items": self.n_items,
            "category": self.category,
            "units": self.units,
            "grade": self.grade,
            "needs_response": self.needs_response,
        }


def _unit_report(gold: Sequence[set[str]], pred: Sequence[set[str]], unit_ids: Sequence[str]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    tp_all = fp_all = fn_all = 0
    f1s: list[float] = []
    for uid in unit_ids:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if uid in g and uid in p)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if uid not in g and uid in p)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if uid in g and uid not in p)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[uid] = {"precision": prec, "recall": rec, "f1": f1, "support": float(tp + fn)}
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        f1s.append(f1)
    prec = tp_all / (tp_all + fp_all) if tp_all + fp_all else 0.0
    rec = tp_all / (tp_all + fn_all) if tp_all + fn_all else 0.0
    out["_micro"] = {
        "precision": prec, "recall": rec, "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0,
        "support": float(tp_all + fn_all),
    }
    n = len(unit_ids) or 1
    out["_macro"] = {
        "precision": sum(out[u]["precision"] for u in unit_ids) / n,
        "recall": sum(out[u]["recall"] for u in unit_ids) / n,
        "f1": sum(f1s) / n,
        "support": float(tp_all + fn_all),
    }
    return out


def evaluate_devset(
    classifier: Classifier, items: Sequence[DevItem], *, threshold: float | None = None
) -> DevReport:
    """Run the classifier over the labelled items and report per-class precision/recall/F1 for each task."""
    results: list[Assessment] = [classifier.assess(it.id, it.title, it.text) for it in items]
    gold_cat = [it.category for it in items]
    pred_cat = [a.category.value for a in results]
    gold_grade = [it.grade or NONE for it in items]
    pred_grade = [a.severity.grade.value if a.severity.grade else NONE for a in results]
    gold_nr = ["是" if it.needs_response else "否" for it in items]
    pred_nr = ["是" if a.severity.needs_response else "否" for a in results]
    gold_units = [set(it.units) for it in items]
    pred_units = [{u.unit for u in a.units if threshold is None or u.score >= threshold} for a in results]
    errors: list[str] = []
    for it, a, pu in zip(items, results, pred_units, strict=True):
        wrong = []
        if it.category != a.category.value:
            wrong.append(f"类别 {it.category}≠{a.category.value}")
        if (it.grade or NONE) != (a.severity.grade.value if a.severity.grade else NONE):
            wrong.append(f"等级 {it.grade}≠{a.severity.grade} ({a.severity.basis})")
        if set(it.units) != pu:
            wrong.append(f"单位 {sorted(it.units)}≠{sorted(pu)}")
        if it.needs_response != a.severity.needs_response:
            wrong.append(f"需回应 {it.needs_response}≠{a.severity.needs_response}")
        if wrong:
            errors.append(f"{it.id} {it.title}: " + "；".join(wrong))
    return DevReport(
        category=per_class_report(gold_cat, pred_cat),
        units=_unit_report(gold_units, pred_units, [u.id for u in classifier.units]),
        grade=per_class_report(gold_grade, pred_grade),
        needs_response=per_class_report(gold_nr, pred_nr),
        n_items=len(items),
        errors=errors,
    )


TASKS = ("category", "units", "grade", "needs_response")


def load_floors(path: Path = FLOORS_FILE) -> dict[str, dict[str, dict[str, float]]]:
    """F1 floors: labelled set (devset/holdout) → task → class → floor."""
    file = str(path)
    raw = load_toml(path)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for set_name, tasks in raw.items():
        if not isinstance(tasks, dict):
            raise DataFileError(file, set_name, "应为表 (table expected)")
        out[set_name] = {}
        for task, table in tasks.items():
            if task not in TASKS or not isinstance(table, dict):
                raise DataFileError(file, f"{set_name}.{task}", f"未知任务 (unknown task), 应为 {TASKS} 之一")
            floors: dict[str, float] = {}
            for name, value in table.items():
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                    raise DataFileError(file, f"{set_name}.{task}.{name}", f"应为 0–1 之间的数: {value!r}")
                floors[name] = float(value)
            out[set_name][task] = floors
    return out


def check_floors(report: DevReport, floors: dict[str, dict[str, float]]) -> list[str]:
    """Every floor (task → class → F1) the report falls below, as readable lines; empty when it passes."""
    failures: list[str] = []
    tasks = {"category": report.category, "units": report.units, "grade": report.grade, "needs_response": report.needs_response}
    for task, per in floors.items():
        for name, floor in per.items():
            got = tasks[task].get(name, {}).get("f1", 0.0)
            if got + 1e-9 < floor:
                failures.append(f"{task}/{name}: F1 {got:.3f} < floor {floor:.3f}")
    return failures


LABELLED_SETS = {"devset": DEVSET_FILE, "holdout": DEVSET_DIR / "holdout.jsonl"}


def dev_classifier(model_dir: Path | None = None) -> Classifier:
    """A classifier over the dev set's own units."""
    return Classifier(load_units(DEVSET_UNITS), model_dir)
