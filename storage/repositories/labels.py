"""Training labels from staff decisions that correct the classifier."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import LabelRow, tbl
from storage.records import LabelKind, LabelRecord


def _label(row: Any) -> LabelRecord:
    return LabelRecord(
        kind=LabelKind(row.kind),
        value=row.value,
        actor=row.actor,
        at=row.at,
        item_id=row.item_id,
        case_id=row.case_id,
        id=row.id,
    )


class LabelRepository:
    """Append and read training labels."""

    def __init__(self, session: Session) -> None:
        """Bind the repository to a session; the caller commits."""
        self.session = session

    def add(self, label: LabelRecord) -> LabelRecord:
        """Store a label; returns it with its id."""
        table = tbl(LabelRow)
        new_id = self.session.execute(
            table.insert()
            .values(
                item_id=label.item_id,
                case_id=label.case_id,
                kind=LabelKind(label.kind).value,
                value=label.value,
                actor=label.actor,
                at=label.at,
            )
            .returning(table.c.id)
        ).scalar_one()
        row = self.session.execute(select(table).where(table.c.id == new_id)).one()
        return _label(row)

    def list(self, kind: LabelKind | str | None = None) -> list[LabelRecord]:
        """Labels in the order they were given, optionally of one kind."""
        stmt = select(tbl(LabelRow)).order_by(LabelRow.at, LabelRow.id)
        if kind is not None:
            stmt = stmt.where(LabelRow.kind == LabelKind(kind).value)
        return [_label(r) for r in self.session.execute(stmt)]
