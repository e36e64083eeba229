"""Cases: idempotent open, save with clock updates and inserts, responses, sweep views."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from responder.types import CaseState, Channel, ClockKind, ClockState, Response, ResponseMethod, Trigger
from storage.errors import NotFound
from storage.repositories.cases import CaseRepository
from storage.repositories.items import ItemRepository
from tests.storage.factories import T0, case, clock, item, seed_config


def _event(session: Session, n: int = 1) -> int:
    result = ItemRepository(session).add(item(n), now=T0)
    assert result.event_id is not None
    return result.event_id


def test_open_is_idempotent_and_never_restarts_a_clock(session: Session) -> None:
    seed_config(session)
    event_id = _event(session)
    repo = CaseRepository(session)
    stored, created = repo.open(case(event_id))
    session.commit()
    assert created and stored.id is not None
    assert [c.kind for c in stored.clocks] == [ClockKind.FACTS, ClockKind.PRESS_CONFERENCE]
    assert all(c.id is not None for c in stored.clocks)
    later = case(event_id, opened_at=T0 + timedelta(hours=5))
    again, created_again = repo.open(later)
    session.commit()
    assert not created_again
    assert again == stored
    assert again.clocks[0].started_at == T0
    assert len(repo.list()) == 1


def test_round_trip_of_every_field(session: Session) -> None:
    seed_config(session)
    event_id = _event(session)
    repo = CaseRepository(session)
    original = case(event_id)
    stored, _ = repo.open(original)
    assert replace(stored, id=None, clocks=tuple(replace(c, id=None) for c in stored.clocks)) == original
    assert stored.times.first_online_at is not None and stored.times.first_online_at.tzinfo is not None


def test_save_updates_clocks_and_adds_new_ones(session: Session) -> None:
    seed_config(session)
    repo = CaseRepository(session)
    stored, _ = repo.open(case(_event(session)))
    response = repo.add_response(
        stored.id or 0,
        Response(
            method=ResponseMethod.AUTHORITATIVE_RELEASE,
            channel=Channel.GOV_WEIBO,
            actor="张三",
            responded_at=T0 + timedelta(minutes=40),
            link="http://gov.test/x",
        ),
        now=T0 + timedelta(minutes=41),
    )
    assert response.id is not None and response.recorded_at == T0 + timedelta(minutes=41)
    current = repo.get(stored.id or 0)
    facts, press = current.clocks
    regraded = replace(
        current,
        state=CaseState.RESPONDED,
        acknowledged_at=T0 + timedelta(minutes=10),
        clocks=(
            replace(
                facts, state=ClockState.MET, met_at=response.responded_at, met_by_response_id=response.id
            ),
            replace(press, state=ClockState.SUPERSEDED, superseded_at=T0 + timedelta(hours=2)),
            clock(ClockKind.RESPONSE, started_at=T0, hours=48, trigger=Trigger.OTHER_OPINION),
        ),
    )
    saved = repo.save(regraded, now=T0 + timedelta(hours=2))
    session.commit()
    assert saved.state is CaseState.RESPONDED
    assert [c.state for c in saved.clocks] == [ClockState.MET, ClockState.SUPERSEDED, ClockState.RUNNING]
    assert saved.clocks[0].met_by_response_id == response.id
    assert saved.responses == (response,)
    # a superseded clock may be started again (re-grade down and up)
    again = replace(
        saved,
        clocks=(
            *saved.clocks,
            clock(ClockKind.PRESS_CONFERENCE, started_at=T0 + timedelta(hours=3), hours=24),
        ),
    )
    assert len(repo.save(again).clocks) == 4


def test_missing_case(session: Session) -> None:
    with pytest.raises(NotFound):
        CaseRepository(session).get(999)


def test_list_filters(session: Session) -> None:
    seed_config(session)
    repo = CaseRepository(session)
    a, _ = repo.open(case(_event(session, 1), "u1"))
    b, _ = repo.open(case(_event(session, 2), "u2", opened_at=T0 + timedelta(days=1)))
    repo.save(replace(b, state=CaseState.CLOSED, closed_at=T0 + timedelta(days=2)))
    session.commit()
    assert [c.id for c in repo.list(unit_ids=["u1"])] == [a.id]
    assert [c.id for c in repo.list(states=[CaseState.CLOSED])] == [b.id]
    assert [c.id for c in repo.list(since=T0 + timedelta(hours=12))] == [b.id]
    assert [c.id for c in repo.list(overdue_only=True, now=T0 + timedelta(hours=2))] == [a.id]
    assert repo.list(overdue_only=True, now=T0 + timedelta(minutes=30)) == []


def test_sweep_views_lists_unmet_clocks_of_open_cases(session: Session) -> None:
    seed_config(session)
    repo = CaseRepository(session)
    a, _ = repo.open(case(_event(session, 1), "u1"))
    b, _ = repo.open(case(_event(session, 2), "u2"))
    c, _ = repo.open(case(_event(session, 3), "u1"))
    repo.save(replace(b, state=CaseState.DISMISSED, dismiss_reason="误报"))
    met = replace(a.clocks[0], state=ClockState.MET, met_at=T0)
    repo.save(replace(a, clocks=(met, a.clocks[1])))
    assert repo.mark_breached([c.clocks[0].id or 0]) == 1
    session.commit()
    views = repo.sweep_views(T0)
    assert sorted((v.case_id, v.kind, v.state) for v in views) == sorted(
        [
            (a.id, ClockKind.PRESS_CONFERENCE, ClockState.RUNNING),
            (c.id, ClockKind.FACTS, ClockState.BREACHED),
            (c.id, ClockKind.PRESS_CONFERENCE, ClockState.RUNNING),
        ]
    )
    view = next(v for v in views if v.state is ClockState.BREACHED)
    assert view.unit_id == "u1" and view.case_title == c.title and view.grade is not None
    assert view.due_at == T0 + timedelta(hours=1) and view.due_at.tzinfo is not None
    assert views == sorted(views, key=lambda v: (v.due_at, v.clock_id))


def test_open_many_is_idempotent_and_matches_open(session: Session) -> None:
    seed_config(session)
    repo = CaseRepository(session)
    events = [_event(session, n) for n in range(1, 4)]
    first, _ = repo.open(case(events[0], "u1"))
    batch = [case(events[0], "u1"), case(events[1], "u1"), case(events[1], "u2"), case(events[1], "u1")]
    results = repo.open_many(batch)
    session.commit()
    assert [created for _, created in results] == [False, True, True, False]
    assert results[0][0] == first
    assert results[1][0] == results[3][0] and results[1][0] is not None
    assert len(results[2][0].clocks) == 2  # type: ignore[union-attr]
    assert [c for _, c in repo.open_many([case(events[2], "u1")], load=False)] == [True]
    assert len(repo.list()) == 4


def test_sweep_views_due_before_skips_far_clocks_but_keeps_breached(session: Session) -> None:
    seed_config(session)
    repo = CaseRepository(session)
    a, _ = repo.open(case(_event(session, 1), "u1"))
    repo.mark_breached([a.clocks[0].id or 0])
    session.commit()
    near = repo.sweep_views(T0, due_before=T0 + timedelta(hours=2))
    assert [(v.kind, v.state) for v in near] == [(ClockKind.FACTS, ClockState.BREACHED)]
    assert len(repo.sweep_views(T0, due_before=T0 + timedelta(hours=24))) == 2
    with pytest.raises(ValueError):
        repo.sweep_views(T0, due_before=T0.replace(tzinfo=None))
