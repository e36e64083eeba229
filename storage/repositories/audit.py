"""The audit log: append and read; the database refuses updates and deletes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from responder.types import AuditEntry
from storage.models import AuditRow, tbl


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        at=row.at,
        actor=row.actor,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        before=row.before,
        after=row.after,
        case_id=row.case_id,
        id=row.id,
    )


class AuditRepository:
    """Append-only audit entries."""

    def __init__(self, session: Session) -> None:
        """Bind the repository to a session; the caller commits."""
        self.session = session

    def append(self, entries: Sequence[AuditEntry]) -> list[AuditEntry]:
        """Append entries in order; returns them with their ids."""
        out: list[AuditEntry] = []
        table = tbl(AuditRow)
        for entry in entries:
            new_id = self.session.execute(
                table.insert()
                .values(
                    at=entry.at,
                    actor=entry.actor,
                    action=entry.action,
                    entity=entry.entity,
                    entity_id=str(entry.entity_id),
                    case_id=entry.case_id,
                    before=entry.before,
                    after=entry.after,
                )
                .returning(table.c.id)
            ).scalar_one()
            out.append(
                AuditEntry(
                    at=entry.at,
                    actor=entry.actor,
                    action=entry.action,
                    entity=entry.entity,
                    entity_id=str(entry.entity_id),
                    before=entry.before,
                    after=entry.after,
                    case_id=entry.case_id,
                    id=int(new_id),
                )
            )
        return out

    def for_case(self, case_id: int) -> list[AuditEntry]:
        """A case's entries in the order they happened (then in the order they were written)."""
        rows = self.session.execute(
            select(tbl(AuditRow)).where(AuditRow.case_id == case_id).order_by(AuditRow.at, AuditRow.id)
        )
        return [_entry(r) for r in rows]

    def list(
        self,
        *,
        entity: str | None = None,
        entity_id: str | None = None,
        since: datetime | None = None,
        limit: int = 500,
    ) -> list[AuditEntry]:
        """Entries, newest first, filtered by entity, entity id and time."""
        stmt = select(tbl(AuditRow)).order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit)
        if entity is not None:
            stmt = stmt.where(AuditRow.entity == entity)
        if entity_id is not None:
            stmt = stmt.where(AuditRow.entity_id == entity_id)
        if since is not None:
            stmt = stmt.where(AuditRow.at >= since)
        return [_entry(r) for r in self.session.execute(stmt)]
