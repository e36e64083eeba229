"""Assessments: the classifier's verdicts, kept per item and model version."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifier.types import (
    Assessment,
    Category,
    Figures,
    Grade,
    Place,
    Severity,
    UnitRelevance,
)
from storage.models import AssessmentRow, AssessmentUnitRow, ItemRow, tbl
from storage.records import AssessmentRecord
from storage.repositories._common import bulk_insert_returning, chunked, dataclass_from_json


def _assessment(row: Any, units: list[Any]) -> Assessment:
    return Assessment(
        item_id=str(row.item_id),
        units=tuple(
            UnitRelevance(unit=u.unit_id, score=u.score, reasons=tuple(u.reasons or ()))
            for u in sorted(units, key=lambda u: (-u.score, u.unit_id))
        ),
        places=tuple(dataclass_from_json(Place, p) for p in row.places or ()),
        abroad=row.abroad,
        category=Category(row.category),
        figures=dataclass_from_json(Figures, row.figures or {}),
        severity=Severity(
            grade=Grade(row.grade) if row.grade else None,
            basis=row.basis,
            negative=row.negative,
            needs_response=row.needs_response,
            heavy_casualties=row.heavy_casualties,
        ),
        model_version=row.model_version,
        extra={str(k): str(v) for k, v in (row.extra or {}).items()},
    )


def _row(item_id: int, assessment: Assessment, now: datetime) -> dict[str, Any]:
    severity = assessment.severity
    return {
        "item_id": item_id,
        "model_version": assessment.model_version,
        "category": assessment.category.value,
        "grade": severity.grade.value if severity.grade else None,
        "basis": severity.basis,
        "figures": dataclasses.asdict(assessment.figures),
        "places": [dataclasses.asdict(p) for p in assessment.places],
        "abroad": assessment.abroad,
        "negative": float(severity.negative),
        "needs_response": severity.needs_response,
        "heavy_casualties": severity.heavy_casualties,
        "extra": dict(assessment.extra),
        "assessed_at": now,
    }


def _strongest_per_unit(assessment: Assessment) -> list[UnitRelevance]:
    """One relevance per unit: the strongest if a unit repeats."""
    best: dict[str, UnitRelevance] = {}
    for rel in assessment.units:
        if rel.unit not in best or rel.score > best[rel.unit].score:
            best[rel.unit] = rel
    return list(best.values())


class AssessmentRepository:
    """Assessments per item and model version (re-assessing with the same model is a no-op)."""

    def __init__(self, session: Session) -> None:
        """Bind the repository to a session; the caller commits."""
        self.session = session

    def save(self, item_id: int, assessment: Assessment, now: datetime) -> tuple[int, bool]:
        """Store an assessment of an item; returns (assessment id, created). Idempotent per model version."""
        return self.save_many([(item_id, assessment)], now)[item_id]

    def save_many(self, pairs: Sequence[tuple[int, Assessment]], now: datetime) -> dict[int, tuple[int, bool]]:
        """Store assessments of several items in a few statements; item id → (assessment id, created).

        Idempotent per item and model version: an assessment stored before (or by another worker at
        the same moment) is kept, and its id is returned with created=False.
        """
        session = self.session
        by_item = {item_id: assessment for item_id, assessment in pairs}
        if not by_item:
            return {}
        rows = [_row(item_id, assessment, now) for item_id, assessment in by_item.items()]
        table = tbl(AssessmentRow)
        result: dict[int, tuple[int, bool]] = {}
        for new_id, item_id in bulk_insert_returning(
            session,
            table,
            rows,
            [table.c.id, table.c.item_id],
            on_conflict_do_nothing=True,
            conflict_index=[table.c.item_id, table.c.model_version],
        ):
            result[int(item_id)] = (int(new_id), True)
        missing = [item_id for item_id in by_item if item_id not in result]
        for chunk_ids in chunked(missing, 1000):
            for existing_id, item_id, version in session.execute(
                select(AssessmentRow.id, AssessmentRow.item_id, AssessmentRow.model_version).where(
                    AssessmentRow.item_id.in_(chunk_ids)
                )
            ):
                if version == by_item[item_id].model_version:
                    result[int(item_id)] = (int(existing_id), False)
        unit_rows = [
            {"assessment_id": result[item_id][0], "unit_id": r.unit, "score": float(r.score), "reasons": list(r.reasons)}
            for item_id, assessment in by_item.items()
            if result[item_id][1]
            for r in _strongest_per_unit(assessment)
        ]
        for chunk in chunked(unit_rows, 1000):
            session.execute(tbl(AssessmentUnitRow).insert(), chunk)
        return result

    def _records(self, rows: list[Any]) -> list[AssessmentRecord]:
        if not rows:
            return []
        ids = [r.id for r in rows]
        units: dict[int, list[Any]] = {}
        for u in self.session.execute(
            select(tbl(AssessmentUnitRow)).where(AssessmentUnitRow.assessment_id.in_(ids))
        ):
            units.setdefault(u.assessment_id, []).append(u)
        return [
            AssessmentRecord(
                id=r.id,
                item_id=r.item_id,
                event_id=r.event_id,
                assessed_at=r.assessed_at,
                assessment=_assessment(r, units.get(r.id, [])),
            )
            for r in rows
        ]

    def _select(self) -> Any:
        return select(tbl(AssessmentRow), ItemRow.event_id).join(ItemRow, ItemRow.id == AssessmentRow.item_id)

    def for_item(self, item_id: int) -> list[AssessmentRecord]:
        """Every assessment of an item, newest first."""
        rows = self.session.execute(
            self._select()
            .where(AssessmentRow.item_id == item_id)
            .order_by(AssessmentRow.assessed_at.desc(), AssessmentRow.id.desc())
        ).all()
        return self._records(list(rows))

    def latest_for_event(self, event_id: int) -> AssessmentRecord | None:
        """The most recent assessment of any item of an event."""
        rows = self.session.execute(
            self._select()
            .where(ItemRow.event_id == event_id)
            .order_by(AssessmentRow.assessed_at.desc(), AssessmentRow.id.desc())
            .limit(1)
        ).all()
        records = self._records(list(rows))
        return records[0] if records else None
