"""Writing an event merge (responder.merge.plan_event_merge) in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from responder.types import EventMerge
from storage.repositories.audit import AuditRepository
from storage.repositories.cases import CaseRepository
from storage.repositories.items import ItemRepository


def apply_event_merge(session: Session, merge: EventMerge, now: datetime) -> int:
    """Move and dismiss the cases, move the items, append the audit entries; returns the items moved.

    Cases go first: a moved case takes its (event, unit) place on the surviving event before the
    emptied event is deleted (it is kept while dismissed duplicates still refer to it).
    """
    cases = CaseRepository(session)
    for case in (*merge.moved, *merge.dismissed):
        cases.save(case, now=now)
    moved = ItemRepository(session).merge_event(merge.from_event, merge.into_event)
    AuditRepository(session).append(list(merge.entries))
    return moved
