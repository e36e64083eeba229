"""The JSONL batch interface: one item per input line, one assessment per output line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from classifier.assess import Classifier
from classifier.types import Assessment

_FIGURE_KEYS = ("deaths", "missing", "serious_injuries", "injuries", "poisoned", "economic_loss_yuan", "magnitude")


@dataclass
class BatchStats:
    """What a batch run did: lines read, assessments written, and the rejected lines with reasons."""

    read: int = 0
    written: int = 0
    skipped_blank: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def assessment_to_dict(a: Assessment, *, full: bool = False) -> dict[str, Any]:
    """The issue's output record for one assessment; full=True adds places' notes and extra fields."""
    places: list[dict[str, Any]] = []
    for p in a.places:
        if p.abroad or (p.adcode is None and not full):
            continue  # foreign places show as "abroad"; unresolved ones only in the full form
        row: dict[str, Any] = {"province": p.province, "city": p.city, "county": p.county, "adcode": p.adcode}
        if full:
            row.update({"mention": p.mention, "region": p.region, "note": p.note})
        places.append(row)
    out: dict[str, Any] = {
        "id": a.item_id,
        "units": [{"unit": u.unit, "score": u.score, "reasons": list(u.reasons)} for u in a.units],
        "places": places,
        "abroad": a.abroad,
        "category": a.category.value,
        "figures": {k: getattr(a.figures, k) for k in _FIGURE_KEYS},
        "severity": {
            "grade": a.severity.grade.value if a.severity.grade is not None else None,
            "basis": a.severity.basis,
            "negative": a.severity.negative,
            "needs_response": a.severity.needs_response,
        },
    }
    if full:
        out["severity"]["heavy_casualties"] = a.severity.heavy_casualties
        out["figures"]["no_casualties"] = a.figures.no_casualties
        out["figures"]["approximate"] = list(a.figures.approximate)
        out["foreign_places"] = [p.mention for p in a.places if p.abroad]
        out["model_version"] = a.model_version
        out["extra"] = dict(a.extra)
    return out


def _published(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def classify_lines(
    lines: Iterable[str],
    out: TextIO,
    classifier: Classifier,
    on_error: Callable[[int, str], None] | None = None,
    *,
    full: bool = False,
) -> BatchStats:
    """Assess each JSONL line and write one JSON line per item; bad lines are reported and skipped."""
    stats = BatchStats()

    def reject(n: int, msg: str) -> None:
        stats.errors.append((n, msg))
        if on_error is not None:
            on_error(n, msg)

    for n, line in enumerate(lines, start=1):
        if not line.strip():
            stats.skipped_blank += 1
            continue
        stats.read += 1
        if n == 1:
            line = line.lstrip("\ufeff")  # a UTF-8 BOM from Windows editors
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            reject(n, f"第{n}行不是合法 JSON (invalid JSON): {exc.msg}")
            continue
        if not isinstance(row, dict):
            reject(n, f"第{n}行应为 JSON 对象 (object expected)")
            continue
        item_id = row.get("id")
        if item_id is None or (isinstance(item_id, str) and not item_id.strip()):
            reject(n, f"第{n}行缺少 id (missing id)")
            continue
        title, text = row.get("title") or "", row.get("text") or ""
        if not isinstance(title, str) or not isinstance(text, str):
            reject(n, f"第{n}行 title/text 应为字符串 (strings expected)")
            continue
        url = row.get("url") or ""
        a = classifier.assess(
            str(item_id), title, text, published_at=_published(row.get("published_at")), url=str(url)
        )
        record = assessment_to_dict(a, full=full)
        record["id"] = item_id  # echo the caller's id unchanged (number or string)
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        stats.written += 1
    return stats
