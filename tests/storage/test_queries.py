"""Dashboard and report queries on a small seeded database (both backends)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise

from sqlalchemy.orm import Session

from responder.types import AuditEntry, CaseState, Channel, ClockKind, ClockState, Response, ResponseMethod
from storage import queries
from storage.repositories.assessments import AssessmentRepository
from storage.repositories.audit import AuditRepository
from storage.repositories.cases import CaseRepository
from storage.repositories.items import ItemRepository
from tests.storage.factories import T0, case, item, seed_config
from tests.storage.test_repositories import _assessment


def _fp(n: int) -> int:
    return (n * 0x9E37_79B9_7F4A_7C15) & ((1 << 63) - 1)


def _seed(session: Session) -> dict[str, int]:
    """Four cases: a breached one (u1), a running one (u2), a met one (u1), a closed one (u2)."""
    seed_config(session)
    items = ItemRepository(session)
    cases = CaseRepository(session)
    ev = {}
    for n, src in ((1, "src1"), (2, "src2"), (3, "src1"), (4, "src2")):
        ev[n] = items.add(item(n, source_id=src, fingerprint=_fp(n)), now=T0).event_id or 0
    # a reprint of event 1 from another source, two hours later
    reprint = items.add(
        item(5, source_id="src2", fingerprint=_fp(1) ^ 1, published_at=T0 + timedelta(hours=2)), now=T0
    )
    assert reprint.event_id == ev[1] and len(set(ev.values())) == 4
    ids = {}
    breached, _ = cases.open(case(ev[1], "u1", opened_at=T0))
    running, _ = cases.open(case(ev[2], "u2", opened_at=T0 + timedelta(hours=2, minutes=30)))
    met, _ = cases.open(case(ev[3], "u1", opened_at=T0 + timedelta(days=8)))
    closed, _ = cases.open(case(ev[4], "u2", opened_at=T0 + timedelta(days=40)))
    ids.update(breached=breached.id or 0, running=running.id or 0, met=met.id or 0, closed=closed.id or 0)
    cases.mark_breached([breached.clocks[0].id or 0])
    # met on time after 30 minutes, and the press-conference clock met late
    resp = cases.add_response(
        met.id or 0,
        Response(
            ResponseMethod.AUTHORITATIVE_RELEASE,
            Channel.GOV_WEBSITE,
            "张三",
            met.opened_at + timedelta(minutes=30),
        ),
    )
    cases.save(
        replace(
            met,
            state=CaseState.RESPONDED,
            clocks=(
                replace(
                    met.clocks[0], state=ClockState.MET, met_at=resp.responded_at, met_by_response_id=resp.id
                ),
                replace(met.clocks[1], state=ClockState.MET_LATE, met_at=met.opened_at + timedelta(hours=30)),
            ),
        )
    )
    cases.add_response(
        closed.id or 0,
        Response(ResponseMethod.ONLINE_REPLY, Channel.HOTLINE, "李四", closed.opened_at + timedelta(hours=3)),
    )
    cases.save(replace(closed, state=CaseState.CLOSED, closed_at=closed.opened_at + timedelta(days=1)))
    AssessmentRepository(session).save(reprint.item_id, _assessment(), T0)
    AuditRepository(session).append(
        [
            AuditEntry(
                at=T0,
                actor="system",
                action="open",
                entity="case",
                entity_id=str(ids["breached"]),
                case_id=ids["breached"],
            )
        ]
    )
    session.commit()
    return ids


def test_duty_board_orders_by_urgency_and_filters(session: Session) -> None:
    ids = _seed(session)
    now = T0 + timedelta(hours=3)
    board = queries.duty_board(session, now)
    # met case has no unmet clock but its press-conference clock ... was met late: nothing unmet -> last
    assert [r.case.id for r in board] == [ids["breached"], ids["running"], ids["met"]]
    top = board[0]
    assert top.breached and top.earliest_due_at == T0 + timedelta(hours=1)
    assert top.event_item_count == 2 and top.event_source_count == 2
    assert len(top.case.clocks) == 2
    assert board[1].earliest_due_at == T0 + timedelta(hours=3, minutes=30) and not board[1].breached
    assert board[2].earliest_due_at is None
    assert [r.case.id for r in queries.duty_board(session, now, unit_ids=["u2"])] == [ids["running"]]
    assert [r.case.id for r in queries.duty_board(session, now, states=[CaseState.CLOSED])] == [ids["closed"]]
    assert [r.case.id for r in queries.duty_board(session, now, source_ids=["src2"])] == [
        ids["breached"],
        ids["running"],
    ]
    assert [r.case.id for r in queries.duty_board(session, now, since=T0 + timedelta(hours=1))] == [
        ids["running"],
        ids["met"],
    ]
    assert queries.duty_board(session, now, grades=["一般"]) == []
    assert len(queries.duty_board(session, now, limit=1)) == 1


def test_case_detail(session: Session) -> None:
    ids = _seed(session)
    detail = queries.case_detail(session, ids["breached"])
    assert detail.case.id == ids["breached"]
    assert detail.event.item_count == 2
    assert [ei.source_name for ei in detail.items] == ["来源1", "来源2"]
    assert detail.first_item == detail.items[0]
    assert detail.assessment is not None and detail.assessment.assessment.model_version == "m1"
    assert [a.action for a in detail.audit] == ["open"]


def test_event_spread(session: Session) -> None:
    ids = _seed(session)
    event_id = queries.case_detail(session, ids["breached"]).event.id
    spread = queries.event_spread(session, event_id)
    assert sum(p.count for p in spread) == 2
    assert spread[0].count == 1 and spread[-1].count == 1
    assert all(b.hour - a.hour == timedelta(hours=1) for a, b in pairwise(spread))
    assert queries.event_spread(session, 9999) == []


def test_timeliness_stats(session: Session) -> None:
    ids = _seed(session)
    now = T0 + timedelta(days=60)
    stats = queries.timeliness_stats(session, T0 - timedelta(days=1), T0 + timedelta(days=90), now)
    assert stats.cases == 4
    by_kind = {s.kind: s for s in stats.by_kind}
    facts = by_kind[ClockKind.FACTS]
    assert (facts.total, facts.met_on_time, facts.met_late, facts.open_past_due, facts.ever_breached) == (
        4,
        1,
        0,
        3,
        3,
    )
    press = by_kind[ClockKind.PRESS_CONFERENCE]
    assert (press.met_late, press.open_past_due) == (1, 3)
    assert facts.on_time_share == 0.25
    assert stats.responded_cases == 2
    # met case: first online 30 min before opening, responded 30 min after -> 1 h; closed case: 3.5 h
    assert stats.first_response_median == timedelta(hours=2, minutes=15)
    assert stats.first_response_p90 == timedelta(hours=3, minutes=15)
    assert {r.key: r.count for r in stats.by_grade} == {"重大": 4}
    assert {r.key: r.count for r in stats.by_state}[CaseState.CLOSED.value] == 1
    assert len(stats.breaches) == 7
    late = next(b for b in stats.breaches if b.met_at is not None)
    assert late.case_id == ids["met"] and late.late_by == timedelta(hours=6)
    only_u1 = queries.timeliness_stats(
        session, T0 - timedelta(days=1), T0 + timedelta(days=90), now, unit_ids=["u1"]
    )
    assert only_u1.cases == 2
    early = queries.timeliness_stats(
        session, T0 - timedelta(days=1), T0 + timedelta(days=1), T0 + timedelta(minutes=10)
    )
    assert early.cases == 2 and {s.kind: s.open_not_due for s in early.by_kind}[ClockKind.FACTS] == 1


def test_trends(session: Session) -> None:
    _seed(session)
    now = T0 + timedelta(days=60)
    weeks = queries.trends(session, T0 - timedelta(days=1), T0 + timedelta(days=90), now)
    # T0 = 2026-03-05 10:00 Shanghai, a Thursday: its week starts Monday 2026-03-02
    assert weeks[0].period_start == date(2026, 3, 2) and weeks[0].cases == 2 and weeks[0].clocks == 4
    assert sum(w.cases for w in weeks) == 4
    months = queries.trends(session, T0 - timedelta(days=1), T0 + timedelta(days=90), now, period="month")
    assert [m.period_start for m in months] == [date(2026, 3, 1), date(2026, 4, 1)]
    assert months[0].met_on_time == 1 and months[0].breached == 5


def test_unit_case_counts(session: Session) -> None:
    _seed(session)
    counts = queries.unit_case_counts(session, T0 + timedelta(hours=3))
    assert [(c.key, c.count) for c in counts] == [("u1", 1)]
