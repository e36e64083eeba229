"""Read-only queries for the dashboard and reports; nothing here writes.

Every function takes a Session and returns frozen dataclasses (storage.records or domain types).
Times are UTC; weeks and months in trends follow the Asia/Shanghai calendar.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from classifier.types import Grade
from responder.types import CaseState, ClockKind, ClockState
from storage.models import CaseRow, ClockRow, EventRow, ItemRow, ResponseRow, SourceRow, tbl
from storage.records import (
    BreachRow,
    CaseDetail,
    ClockKindStats,
    CountRow,
    DutyRow,
    EventItem,
    SpreadPoint,
    TimelinessStats,
    TrendPoint,
)
from storage.repositories.assessments import AssessmentRepository
from storage.repositories.audit import AuditRepository
from storage.repositories.cases import CLOSED_STATES, UNMET_CLOCK_STATES, CaseRepository
from storage.repositories.items import ItemRepository, stored_item_from_row

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_FILLED_HOURS = 24 * 30  # spread charts fill empty hours only for spans up to a month


def _str_values(values: Sequence[Any]) -> list[str]:
    return [str(v) for v in values]


def duty_board(
    session: Session,
    now: datetime,
    *,
    unit_ids: Sequence[str] | None = None,
    grades: Sequence[Grade | str] | None = None,
    states: Sequence[CaseState | str] | None = None,
    source_ids: Sequence[str] | None = None,
    since: datetime | None = None,
    limit: int = 200,
) -> list[DutyRow]:
    """Open cases (or those in `states`), most urgent first: breached first, then earliest unmet deadline."""
    k = ClockRow
    overdue = or_(k.state == ClockState.BREACHED.value, k.due_at < now)
    unmet = (
        select(
            k.case_id.label("case_id"),
            func.min(k.due_at).label("earliest"),
            func.max(case((overdue, 1), else_=0)).label("breached"),
        )
        .where(k.state.in_(UNMET_CLOCK_STATES))
        .group_by(k.case_id)
        .subquery()
    )
    breached = func.coalesce(unmet.c.breached, 0)
    stmt = (
        select(
            CaseRow.id,
            unmet.c.earliest,
            breached.label("breached"),
            EventRow.item_count,
            EventRow.source_count,
        )
        .join(EventRow, EventRow.id == CaseRow.event_id)
        .outerjoin(unmet, unmet.c.case_id == CaseRow.id)
    )
    if states is None:
        stmt = stmt.where(CaseRow.state.not_in(CLOSED_STATES))
    else:
        stmt = stmt.where(CaseRow.state.in_(_str_values(states)))
    if unit_ids is not None:
        stmt = stmt.where(CaseRow.unit_id.in_(list(unit_ids)))
    if grades is not None:
        stmt = stmt.where(CaseRow.grade.in_(_str_values(grades)))
    if since is not None:
        stmt = stmt.where(CaseRow.opened_at >= since)
    if source_ids is not None:
        stmt = stmt.where(
            exists().where(ItemRow.event_id == CaseRow.event_id, ItemRow.source_id.in_(list(source_ids)))
        )
    stmt = stmt.order_by(
        breached.desc(),
        case((unmet.c.earliest.is_(None), 1), else_=0),
        unmet.c.earliest,
        CaseRow.opened_at.desc(),
        CaseRow.id,
    ).limit(limit)
    rows = session.execute(stmt).all()
    cases = {c.id: c for c in CaseRepository(session).load([r.id for r in rows])}
    return [
        DutyRow(
            case=cases[r.id],
            earliest_due_at=r.earliest,
            breached=bool(r.breached),
            event_item_count=r.item_count,
            event_source_count=r.source_count,
        )
        for r in rows
        if r.id in cases
    ]


def event_items(session: Session, event_id: int) -> list[EventItem]:
    """Items of an event with their source names, first appearance first."""
    first = func.coalesce(ItemRow.published_at, ItemRow.first_seen_at)
    rows = session.execute(
        select(tbl(ItemRow), SourceRow.name.label("source_name"))
        .join(SourceRow, SourceRow.id == ItemRow.source_id)
        .where(ItemRow.event_id == event_id)
        .order_by(first, ItemRow.id)
    )
    return [EventItem(item=stored_item_from_row(r), source_name=r.source_name) for r in rows]


def case_detail(session: Session, case_id: int) -> CaseDetail:
    """Everything the case page shows: case, event, items with sources, assessment, audit timeline."""
    the_case = CaseRepository(session).get(case_id)
    event = ItemRepository(session).get_event(the_case.event_id)
    items = tuple(event_items(session, event.id))
    return CaseDetail(
        case=the_case,
        event=event,
        items=items,
        first_item=items[0] if items else None,
        assessment=AssessmentRepository(session).latest_for_event(event.id),
        audit=tuple(AuditRepository(session).for_case(case_id)),
    )


def event_spread(session: Session, event_id: int) -> list[SpreadPoint]:
    """Items of an event per hour of first appearance (published, else first seen), gaps filled."""
    moments = session.execute(
        select(func.coalesce(ItemRow.published_at, ItemRow.first_seen_at)).where(ItemRow.event_id == event_id)
    ).scalars()
    counts: dict[datetime, int] = {}
    for moment in moments:
        if moment is None:
            continue
        hour = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        counts[hour] = counts.get(hour, 0) + 1
    if not counts:
        return []
    first, last = min(counts), max(counts)
    if (last - first) <= timedelta(hours=MAX_FILLED_HOURS):
        hour = first
        while hour <= last:
            counts.setdefault(hour, 0)
            hour += timedelta(hours=1)
    return [SpreadPoint(hour=h, count=counts[h]) for h in sorted(counts)]


def _period_cases(
    start: datetime, end: datetime, unit_ids: Sequence[str] | None
) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [CaseRow.opened_at >= start, CaseRow.opened_at < end]
    if unit_ids is not None:
        conds.append(CaseRow.unit_id.in_(list(unit_ids)))
    return conds


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile of sorted values (q in 0..1)."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = (len(sorted_values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def _counts(session: Session, conds: list[ColumnElement[bool]]) -> tuple[tuple[CountRow, ...], ...]:
    """Cases by grade, by category and by state, from one grouped scan."""
    grade: dict[str, int] = {}
    category: dict[str, int] = {}
    state: dict[str, int] = {}
    rows = session.execute(
        select(CaseRow.grade, CaseRow.category, CaseRow.state, func.count())
        .where(*conds)
        .group_by(CaseRow.grade, CaseRow.category, CaseRow.state)
    )
    for g, c, st, n in rows:
        grade[g or "未定级"] = grade.get(g or "未定级", 0) + n
        category[c or "未分类"] = category.get(c or "未分类", 0) + n
        state[st] = state.get(st, 0) + n

    def ordered(counts: dict[str, int]) -> tuple[CountRow, ...]:
        return tuple(
            CountRow(key=k, count=v) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        )

    return ordered(grade), ordered(category), ordered(state)


def timeliness_stats(
    session: Session,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    unit_ids: Sequence[str] | None = None,
    breach_limit: int = 500,
) -> TimelinessStats:
    """Timeliness of the cases opened in [start, end): per clock kind, first response, counts, breaches.

    Time to first response runs from the moment the case first appeared online (or, when unknown,
    when it was discovered) to the earliest recorded response.
    """
    conds = _period_cases(start, end, unit_ids)

    k = ClockRow
    unmet = k.state.in_(UNMET_CLOCK_STATES)
    past_due = and_(unmet, or_(k.state == ClockState.BREACHED.value, k.due_at < now))

    def count_if(cond: ColumnElement[bool]) -> Any:
        return func.sum(case((cond, 1), else_=0))

    kind_rows = session.execute(
        select(
            k.kind,
            count_if(k.state != ClockState.SUPERSEDED.value),
            count_if(k.state == ClockState.MET.value),
            count_if(k.state == ClockState.MET_LATE.value),
            count_if(past_due),
            count_if(and_(unmet, k.state != ClockState.BREACHED.value, k.due_at >= now)),
            count_if(k.state == ClockState.SUPERSEDED.value),
        )
        .join(CaseRow, CaseRow.id == k.case_id)
        .where(*conds)
        .group_by(k.kind)
    ).all()
    order = {kind.value: i for i, kind in enumerate(ClockKind)}
    by_kind = tuple(
        ClockKindStats(
            kind=ClockKind(kind),
            total=int(total or 0),
            met_on_time=int(met or 0),
            met_late=int(late or 0),
            open_past_due=int(past or 0),
            open_not_due=int(pending or 0),
            ever_breached=int(late or 0) + int(past or 0),
            superseded=int(sup or 0),
        )
        for kind, total, met, late, past, pending, sup in sorted(kind_rows, key=lambda r: order.get(r[0], 99))
    )

    first_response = (
        select(ResponseRow.case_id, func.min(ResponseRow.responded_at).label("first"))
        .group_by(ResponseRow.case_id)
        .subquery()
    )
    durations = sorted(
        (first - (online or discovered)).total_seconds()
        for online, discovered, first in session.execute(
            select(CaseRow.first_online_at, CaseRow.discovered_at, first_response.c.first)
            .join(first_response, first_response.c.case_id == CaseRow.id)
            .where(*conds)
        )
    )
    median = timedelta(seconds=_percentile(durations, 0.5)) if durations else None
    p90 = timedelta(seconds=_percentile(durations, 0.9)) if durations else None

    breach_rows = session.execute(
        select(
            k.case_id,
            k.id,
            CaseRow.unit_id,
            CaseRow.title,
            CaseRow.grade,
            k.kind,
            k.started_at,
            k.due_at,
            k.met_at,
        )
        .join(CaseRow, CaseRow.id == k.case_id)
        .where(*conds)
        .where(or_(k.state == ClockState.MET_LATE.value, past_due))
        .order_by(k.due_at.desc(), k.id.desc())
        .limit(breach_limit)
    )
    breaches = tuple(
        BreachRow(
            case_id=r.case_id,
            clock_id=r.id,
            unit_id=r.unit_id,
            title=r.title,
            grade=r.grade,
            kind=ClockKind(r.kind),
            started_at=r.started_at,
            due_at=r.due_at,
            met_at=r.met_at,
            late_by=(r.met_at or now) - r.due_at,
        )
        for r in breach_rows
    )
    by_grade, by_category, by_state = _counts(session, conds)
    return TimelinessStats(
        start=start,
        end=end,
        now=now,
        cases=sum(r.count for r in by_state),
        by_kind=by_kind,
        by_grade=by_grade,
        by_category=by_category,
        by_state=by_state,
        responded_cases=len(durations),
        first_response_median=median,
        first_response_p90=p90,
        breaches=breaches,
    )


def _period_start(moment: datetime, period: Literal["week", "month"]) -> date:
    local = moment.astimezone(SHANGHAI).date()
    if period == "month":
        return local.replace(day=1)
    return local - timedelta(days=local.weekday())  # weeks start on Monday


def trends(
    session: Session,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    period: Literal["week", "month"] = "week",
    unit_ids: Sequence[str] | None = None,
) -> list[TrendPoint]:
    """Cases opened and their clock outcomes per week or month (Asia/Shanghai), oldest first."""
    if period not in ("week", "month"):
        raise ValueError(f"period must be 'week' or 'month', got {period!r}")
    k = ClockRow
    applies = k.state != ClockState.SUPERSEDED.value
    breached = or_(
        k.state.in_((ClockState.MET_LATE.value, ClockState.BREACHED.value)),
        and_(k.state == ClockState.RUNNING.value, k.due_at < now),
    )
    rows = session.execute(
        select(
            CaseRow.opened_at,
            func.count(k.id).filter(applies),
            func.count(k.id).filter(k.state == ClockState.MET.value),
            func.count(k.id).filter(breached),
        )
        .outerjoin(k, k.case_id == CaseRow.id)
        .where(*_period_cases(start, end, unit_ids))
        .group_by(CaseRow.id, CaseRow.opened_at)
    )
    buckets: dict[date, list[int]] = {}
    for opened_at, clocks, met, late in rows:
        acc = buckets.setdefault(_period_start(opened_at, period), [0, 0, 0, 0])
        acc[0] += 1
        acc[1] += int(clocks or 0)
        acc[2] += int(met or 0)
        acc[3] += int(late or 0)
    return [
        TrendPoint(period_start=p, cases=v[0], clocks=v[1], met_on_time=v[2], breached=v[3])
        for p, v in sorted(buckets.items())
    ]


def unit_case_counts(
    session: Session, now: datetime, *, unit_ids: Sequence[str] | None = None
) -> list[CountRow]:
    """Open cases per unit with an overdue clock (for a header badge); `now` decides what is overdue."""
    overdue = exists().where(
        ClockRow.case_id == CaseRow.id, ClockRow.state.in_(UNMET_CLOCK_STATES), ClockRow.due_at < now
    )
    stmt = select(CaseRow.unit_id, func.count()).where(CaseRow.state.not_in(CLOSED_STATES), overdue)
    if unit_ids is not None:
        stmt = stmt.where(CaseRow.unit_id.in_(list(unit_ids)))
    rows = session.execute(stmt.group_by(CaseRow.unit_id).order_by(CaseRow.unit_id))
    return [CountRow(key=u, count=int(n)) for u, n in rows]
