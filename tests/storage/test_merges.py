"""Writing an event merge on both backends: items and lone cases move, duplicates stay dismissed on the
emptied event, which is deleted once no case refers to it; near-duplicates then find the survivor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from classifier.types import Grade
from responder.merge import plan_event_merge
from responder.types import CaseState
from storage.errors import NotFound
from storage.merges import apply_event_merge
from storage.models import EventRow
from storage.repositories.audit import AuditRepository
from storage.repositories.cases import CaseRepository
from storage.repositories.items import ItemRepository
from tests.storage.factories import T0, case, item, seed_config

NOW = T0 + timedelta(hours=1)


def _events(session: Session) -> tuple[int, int]:
    items = ItemRepository(session)
    a = items.add(item(1, fingerprint=0x0F0F_0F0F_0F0F_0F0F), now=T0).event_id
    b = items.add(item(2, fingerprint=0x7070_7070_7070_7070, source_id="src2"), now=T0).event_id
    items.add(item(3, fingerprint=0x7070_7070_7070_7071), now=T0)  # near-duplicate of item 2: event b
    assert a is not None and b is not None and a != b
    return a, b


def test_duplicate_dismissed_lone_case_moved_items_and_grade_follow(session: Session) -> None:
    seed_config(session)
    survivor_event, duplicate_event = _events(session)
    session.execute(EventRow.__table__.update().where(EventRow.id == duplicate_event).values(grade=Grade.MAJOR.value))
    cases = CaseRepository(session)
    earlier, _ = cases.open(case(survivor_event, "u1", opened_at=T0))
    later, _ = cases.open(case(duplicate_event, "u1", opened_at=T0 + timedelta(minutes=20)))
    lone, _ = cases.open(case(duplicate_event, "u2", opened_at=T0 + timedelta(minutes=20)))
    merge = plan_event_merge(duplicate_event, survivor_event, cases.for_event(duplicate_event),
                             cases.for_event(survivor_event), NOW, actor="zhiban")
    assert apply_event_merge(session, merge, NOW) == 2
    session.commit()

    items = ItemRepository(session)
    assert len(items.for_event(survivor_event)) == 3
    survivor = items.get_event(survivor_event)
    assert survivor.item_count == 3 and survivor.source_count == 2 and survivor.grade == Grade.MAJOR.value
    emptied = items.get_event(duplicate_event)  # kept: the dismissed duplicate still refers to it
    assert emptied.item_count == 0
    assert cases.get(later.id or 0).state is CaseState.DISMISSED
    assert cases.find(survivor_event, "u2") == cases.get(lone.id or 0)  # the lone case moved, clocks intact
    assert cases.get(lone.id or 0).clocks == lone.clocks
    assert cases.get(earlier.id or 0) == earlier
    audit = AuditRepository(session).for_case(earlier.id or 0)
    assert [e.action for e in audit if e.entity == "event"] == ["event_merged"]

    # A later reprint near item 2 now joins the surviving event.
    reprint = items.add(item(4, fingerprint=0x7070_7070_7070_7073), now=NOW)
    assert reprint.event_id == survivor_event and not reprint.new_event


def test_an_event_no_case_refers_to_is_deleted(session: Session) -> None:
    seed_config(session)
    survivor_event, duplicate_event = _events(session)
    cases = CaseRepository(session)
    cases.open(case(survivor_event, "u1", opened_at=T0))
    moved, _ = cases.open(case(duplicate_event, "u2", opened_at=T0))
    merge = plan_event_merge(duplicate_event, survivor_event, [moved], cases.for_event(survivor_event), NOW,
                             actor="zhiban")
    apply_event_merge(session, merge, NOW)
    session.commit()
    assert session.execute(select(EventRow.id).where(EventRow.id == duplicate_event)).first() is None
    assert cases.get(moved.id or 0).event_id == survivor_event
    with pytest.raises(NotFound):
        ItemRepository(session).merge_event(duplicate_event, survivor_event)
    assert ItemRepository(session).merge_event(survivor_event, survivor_event) == 0
