"""Read-only data access for the pages: light frozen rows built with a few SQL queries each.

Writes never happen here (see dashboard/actions.py). Every function takes a SQLAlchemy Session
and plain parameters, so pages can cache them and the benchmark can time them.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from classifier.types import Figures, Grade
from dashboard.text import as_utc, fmt_local
from responder.types import (
    AuditEntry,
    Case,
    CaseState,
)
from storage.errors import NotFound
from storage.models import (
    AssessmentRow,
    AssessmentUnitRow,
    CaseRow,
    ClockRow,
    EventRow,
    ItemRow,
    ResponseRow,
    SourceRow,
    UnitRow,
)
from storage.records import PENDING_UNKNOWN_AFTER, NoticeRecord, NoticeStatus, SourceHealth, UserRecord
from storage.repositories.audit import AuditRepository
from storage.repositories.cases import CaseRepository
from storage.repositories.notices import NoticeRepository
from storage.repositories.sources import SourceRepository
from storage.repositories.users import UserRepository

OPEN_STATES: tuple[str, ...] = (CaseState.NEW.value, CaseState.ACKNOWLEDGED.value, CaseState.RESPONDED.value)
BOARD_LIMIT = 300
UNDELIVERED_WINDOW = timedelta(hours=24)


# ---------------------------------------------------------------- small lookups


@dataclass(frozen=True, slots=True)
class UnitInfo:
    """A unit as the pages list it."""

    id: str
    name: str
    kind: str
    jurisdiction: str
    plan_id: str
    profile: dict[str, Any] = field(default_factory=dict)
    removed: bool = False


def units(session: Session) -> tuple[UnitInfo, ...]:
    """Every unit, by name."""
    rows = session.execute(select(UnitRow).order_by(UnitRow.name)).scalars()
    return tuple(
        UnitInfo(r.id, r.name, r.kind, r.jurisdiction, r.plan_id, dict(r.profile or {}), r.removed_at is not None)
        for r in rows
    )


def unit_names(session: Session) -> dict[str, str]:
    """Unit id → name."""
    return {uid: name for uid, name in session.execute(select(UnitRow.id, UnitRow.name))}


def source_names(session: Session) -> dict[str, str]:
    """Source id → name."""
    return {sid: name for sid, name in session.execute(select(SourceRow.id, SourceRow.name))}


# ---------------------------------------------------------------- duty board


@dataclass(frozen=True, slots=True)
class BoardClock:
    """One live (unmet, not superseded) clock of a board row."""

    clock_id: int
    kind: str
    started_at: datetime
    due_at: datetime
    state: str


@dataclass(frozen=True, slots=True)
class BoardRow:
    """One open case on the duty board."""

    case_id: int
    event_id: int
    unit_id: str
    title: str
    grade: str | None
    state: str
    category: str
    opened_at: datetime
    next_due_at: datetime | None
    clocks: tuple[BoardClock, ...] = ()


@dataclass(frozen=True, slots=True)
class BoardFilter:
    """Filters of the duty board; empty tuples mean 'all'."""

    units: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()
    states: tuple[str, ...] = OPEN_STATES
    sources: tuple[str, ...] = ()
    opened_from: datetime | None = None
    opened_to: datetime | None = None
    limit: int = BOARD_LIMIT


def duty_board(session: Session, flt: BoardFilter) -> tuple[tuple[BoardRow, ...], int]:
    """Open cases, most urgent first (earliest live due time, then grade), with their live clocks; and the total."""
    live = and_(ClockRow.case_id == CaseRow.id, ClockRow.superseded_at.is_(None), ClockRow.met_at.is_(None))
    next_due = select(func.min(ClockRow.due_at)).where(live).correlate(CaseRow).scalar_subquery()
    conditions: list[Any] = [CaseRow.state.in_(flt.states or OPEN_STATES)]
    if flt.units:
        conditions.append(CaseRow.unit_id.in_(flt.units))
    if flt.grades:
        conditions.append(CaseRow.grade.in_(flt.grades))
    if flt.opened_from is not None:
        conditions.append(CaseRow.opened_at >= flt.opened_from)
    if flt.opened_to is not None:
        conditions.append(CaseRow.opened_at < flt.opened_to)
    if flt.sources:
        conditions.append(
            exists().where(ItemRow.event_id == CaseRow.event_id, ItemRow.source_id.in_(flt.sources))
        )
    grade_rank = case(
        *((CaseRow.grade == g.value, g.level) for g in Grade), else_=9
    )
    total = session.execute(select(func.count()).select_from(CaseRow).where(*conditions)).scalar_one()
    due_col = next_due.label("next_due")
    stmt = (
        select(
            CaseRow.id, CaseRow.event_id, CaseRow.unit_id, CaseRow.title, CaseRow.grade, CaseRow.state,
            CaseRow.category, CaseRow.opened_at, due_col,
        )
        .where(*conditions)
        # NULL due (no live clock) last; SQLite and PostgreSQL disagree on NULL order, so sort on a flag.
        .order_by(case((due_col.is_(None), 1), else_=0), due_col, grade_rank, CaseRow.opened_at.desc())
        .limit(flt.limit)
    )
    rows = session.execute(stmt).all()
    ids = [r.id for r in rows]
    clocks: dict[int, list[BoardClock]] = defaultdict(list)
    if ids:
        for c in session.execute(
            select(ClockRow.id, ClockRow.case_id, ClockRow.kind, ClockRow.started_at, ClockRow.due_at, ClockRow.state)
            .where(ClockRow.case_id.in_(ids), ClockRow.superseded_at.is_(None), ClockRow.met_at.is_(None))
            .order_by(ClockRow.due_at)
        ):
            clocks[c.case_id].append(BoardClock(c.id, c.kind, c.started_at, c.due_at, c.state))
    out = tuple(
        BoardRow(
            case_id=r.id, event_id=r.event_id, unit_id=r.unit_id, title=r.title, grade=r.grade, state=r.state,
            category=r.category, opened_at=r.opened_at,
            next_due_at=as_utc(r.next_due) if r.next_due is not None else None,
            clocks=tuple(clocks.get(r.id, ())),
        )
        for r in rows
    )
    return out, int(total)


# ---------------------------------------------------------------- one case


@dataclass(frozen=True, slots=True)
class EventItem:
    """One item of a case's event."""

    item_id: int
    title: str
    url: str
    source_id: str
    source_name: str
    first_seen_at: datetime
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class AssessmentInfo:
    """The assessment behind a case: grade basis, figures, reasons for the case's unit."""

    item_id: int
    model_version: str
    category: str
    grade: str | None
    basis: str
    figures: Figures
    negative: float
    needs_response: bool
    heavy_casualties: bool
    score: float | None
    reasons: tuple[str, ...]
    assessed_at: datetime


@dataclass(frozen=True, slots=True)
class CaseDetail:
    """Everything the case page shows."""

    case: Case
    unit_name: str
    event_title: str
    items: tuple[EventItem, ...]
    item_total: int
    assessment: AssessmentInfo | None
    audit: tuple[AuditEntry, ...]


def load_case(session: Session, case_id: int) -> Case | None:
    """The case with its clocks (earliest due first) and responses (None when there is no such case)."""
    try:
        stored = CaseRepository(session).get(case_id)
    except NotFound:
        return None
    return replace(stored, clocks=tuple(sorted(stored.clocks, key=lambda c: (c.due_at, c.id or 0))))


def case_audit(session: Session, case_id: int) -> tuple[AuditEntry, ...]:
    """The case's audit entries, oldest first."""
    return tuple(AuditRepository(session).for_case(case_id))


def event_items(session: Session, event_id: int, limit: int = 2000) -> tuple[tuple[EventItem, ...], int]:
    """The event's items by first appearance (at most `limit`), and how many there are."""
    names = source_names(session)
    total = session.execute(select(func.count()).where(ItemRow.event_id == event_id)).scalar_one()
    rows = session.execute(
        select(ItemRow.id, ItemRow.title, ItemRow.url, ItemRow.source_id, ItemRow.first_seen_at, ItemRow.published_at)
        .where(ItemRow.event_id == event_id)
        .order_by(ItemRow.first_seen_at, ItemRow.id)
        .limit(limit)
    ).all()
    items = tuple(
        EventItem(r.id, r.title, r.url, r.source_id, names.get(r.source_id, r.source_id), r.first_seen_at, r.published_at)
        for r in rows
    )
    return items, int(total)


def _figures(raw: dict[str, Any] | None) -> Figures:
    data = raw or {}
    known = {k: data[k] for k in Figures.__dataclass_fields__ if k in data}
    try:
        return Figures(**known)
    except TypeError:
        return Figures()


def case_assessment(session: Session, case: Case) -> AssessmentInfo | None:
    """The latest assessment of the event's items that concerns the case's unit (else the latest of any)."""
    base = (
        select(AssessmentRow, AssessmentUnitRow.score, AssessmentUnitRow.reasons)
        .join(ItemRow, ItemRow.id == AssessmentRow.item_id)
        .outerjoin(
            AssessmentUnitRow,
            and_(AssessmentUnitRow.assessment_id == AssessmentRow.id, AssessmentUnitRow.unit_id == case.unit_id),
        )
        .where(ItemRow.event_id == case.event_id)
        # Prefer rows that name the unit, then the most severe grade, then the newest.
        .order_by(AssessmentUnitRow.score.is_(None), AssessmentRow.assessed_at.desc())
        .limit(1)
    )
    found = session.execute(base).first()
    if found is None:
        return None
    row, score, reasons = found
    return AssessmentInfo(
        item_id=row.item_id, model_version=row.model_version, category=row.category, grade=row.grade,
        basis=row.basis, figures=_figures(row.figures), negative=row.negative, needs_response=row.needs_response,
        heavy_casualties=row.heavy_casualties, score=score, reasons=tuple(str(r) for r in (reasons or ())),
        assessed_at=row.assessed_at,
    )


def case_detail(session: Session, case_id: int, item_limit: int = 2000) -> CaseDetail | None:
    """Case, unit name, event items, assessment and audit in one call (None when there is no such case)."""
    case_ = load_case(session, case_id)
    if case_ is None:
        return None
    event = session.get(EventRow, case_.event_id)
    unit = session.get(UnitRow, case_.unit_id)
    items, total = event_items(session, case_.event_id, item_limit)
    return CaseDetail(
        case=case_,
        unit_name=unit.name if unit is not None else case_.unit_id,
        event_title=event.title if event is not None else case_.title,
        items=items,
        item_total=total,
        assessment=case_assessment(session, case_),
        audit=case_audit(session, case_id),
    )


def cases_in_period(
    session: Session, start: datetime, end: datetime, unit_ids: Sequence[str] = (), limit: int = 500
) -> tuple[int, ...]:
    """Ids of cases opened in [start, end) for the units (all when empty), oldest first."""
    stmt = select(CaseRow.id).where(CaseRow.opened_at >= start, CaseRow.opened_at < end)
    if unit_ids:
        stmt = stmt.where(CaseRow.unit_id.in_(unit_ids))
    return tuple(session.execute(stmt.order_by(CaseRow.opened_at).limit(limit)).scalars())


def case_choices(session: Session, unit_ids: Sequence[str] = (), limit: int = 200) -> tuple[tuple[int, str], ...]:
    """Recent cases as (id, label) for pickers."""
    stmt = select(CaseRow.id, CaseRow.title, CaseRow.state)
    if unit_ids:
        stmt = stmt.where(CaseRow.unit_id.in_(unit_ids))
    rows = session.execute(stmt.order_by(CaseRow.opened_at.desc()).limit(limit)).all()
    return tuple((r.id, f"#{r.id} {r.title[:40]}（{r.state}）") for r in rows)


def merge_candidates(session: Session, case: Case, days: int = 30, limit: int = 50) -> tuple[tuple[int, str], ...]:
    """Earlier cases of the same unit this case could repeat, newest first, as (id, label) for a picker.

    Only cases opened at or before this one and not dismissed: a duplicate folds into the earlier case.
    """
    stmt = (
        select(CaseRow.id, CaseRow.title, CaseRow.state, CaseRow.opened_at)
        .where(
            CaseRow.unit_id == case.unit_id,
            CaseRow.id != case.id,
            CaseRow.event_id != case.event_id,
            CaseRow.state != CaseState.DISMISSED.value,
            CaseRow.opened_at <= case.opened_at,
            CaseRow.opened_at >= case.opened_at - timedelta(days=days),
        )
        .order_by(CaseRow.opened_at.desc(), CaseRow.id.desc())
        .limit(limit)
    )
    return tuple(
        (r.id, f"#{r.id} {r.title[:40]}（{fmt_local(as_utc(r.opened_at))} 开启，{r.state}）")
        for r in session.execute(stmt)
    )


# ---------------------------------------------------------------- statistics


@dataclass(frozen=True, slots=True)
class ClockOutcome:
    """How one clock kind fared in the period."""

    kind: str
    total: int
    on_time: int
    late: int
    open_past_due: int
    running: int

    @property
    def ever_breached(self) -> int:
        """Late plus still open past due."""
        return self.late + self.open_past_due


@dataclass(frozen=True, slots=True)
class BreachRow:
    """One clock that was ever breached."""

    case_id: int
    title: str
    unit_id: str
    grade: str | None
    kind: str
    due_at: datetime
    met_at: datetime | None
    overdue: timedelta


@dataclass(frozen=True, slots=True)
class TrendRow:
    """Cases and clock outcomes of one week or month."""

    period_start: date  # Monday of the week, or first day of the month (Asia/Shanghai)
    cases: int
    responded: int
    clocks: int
    breached: int


@dataclass(frozen=True, slots=True)
class Statistics:
    """The timeliness statistics of a period and a set of units."""

    start: datetime
    end: datetime
    now: datetime
    case_total: int
    by_grade: tuple[tuple[str, int], ...]
    by_category: tuple[tuple[str, int], ...]
    by_state: tuple[tuple[str, int], ...]
    clocks: tuple[ClockOutcome, ...]
    first_response_hours: tuple[float, ...]  # per responded case, from first appearance (or discovery)
    median_first_response_h: float | None
    p90_first_response_h: float | None
    weekly: tuple[TrendRow, ...]
    monthly: tuple[TrendRow, ...]
    breaches: tuple[BreachRow, ...]
    breach_total: int


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..1) of the values; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _local_offset(now: datetime) -> str:
    """Asia/Shanghai's UTC offset as a SQLite date modifier, e.g. '+8 hours' (from zoneinfo, not a literal)."""
    from dashboard.text import SHANGHAI

    offset = SHANGHAI.utcoffset(now.replace(tzinfo=None)) or timedelta(0)
    return f"{offset.total_seconds() / 3600:+g} hours"


def _day_expr(session: Session, column: Any, now: datetime) -> Any:
    """SQL giving the local (Asia/Shanghai) calendar day of a UTC timestamp as 'YYYY-MM-DD' text."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM-DD")
    return func.date(column, _local_offset(now))


def _monday(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


def _hours_between(session: Session, later: Any, earlier: Any) -> Any:
    """SQL for (later - earlier) in hours on either backend."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 3600.0
    return (func.julianday(later) - func.julianday(earlier)) * 24.0


def statistics_for(
    session: Session,
    start: datetime,
    end: datetime,
    now: datetime,
    unit_ids: Sequence[str] = (),
    breach_limit: int = 500,
) -> Statistics:
    """Cases by grade/category/state, clock outcomes per kind, first-response times, trends, breaches.

    Aggregation happens in SQL (a handful of grouped queries), so the page stays fast on 10,000 cases.
    """
    case_cond: list[Any] = [CaseRow.opened_at >= start, CaseRow.opened_at < end]
    if unit_ids:
        case_cond.append(CaseRow.unit_id.in_(unit_ids))

    # Cases grouped by local day (then rolled up into weeks and months here) and by grade/category/state:
    # one pass over the period's cases gives every count of the page.
    day = _day_expr(session, CaseRow.opened_at, now).label("day")

    def count_if(cond: Any) -> Any:
        return func.sum(case((cond, 1), else_=0))

    by_grade: Counter[str] = Counter()
    by_category: Counter[str] = Counter()
    by_state: Counter[str] = Counter()
    weekly: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    monthly: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    case_total = 0
    for grade, category, state, n in session.execute(
        select(CaseRow.grade, CaseRow.category, CaseRow.state, func.count())
        .where(*case_cond)
        .group_by(CaseRow.grade, CaseRow.category, CaseRow.state)
    ):
        by_grade[grade or "未定级"] += n
        by_category[category or "其他"] += n
        by_state[state] += n
        case_total += n
    for day_text, n in session.execute(select(day, func.count()).where(*case_cond).group_by(day)):
        local_day = date.fromisoformat(str(day_text)[:10])
        for table, key in ((weekly, _monday(local_day)), (monthly, local_day.replace(day=1))):
            table[key][0] += int(n)

    # One row per responded case: its time to first response, and its day for the trend.
    first_at = (
        select(func.min(ResponseRow.responded_at))
        .where(ResponseRow.case_id == CaseRow.id)
        .correlate(CaseRow)
        .scalar_subquery()
    )
    origin = func.coalesce(CaseRow.first_online_at, CaseRow.discovered_at)
    hours: list[float] = []
    responded_days: Counter[str] = Counter()
    for day_text, h in session.execute(
        select(day, _hours_between(session, first_at, origin)).where(*case_cond, first_at.is_not(None))
    ):
        responded_days[str(day_text)] += 1
        if h is not None:
            hours.append(max(0.0, float(h)))
    for day_text, n in responded_days.items():
        local_day = date.fromisoformat(day_text[:10])
        for table, key in ((weekly, _monday(local_day)), (monthly, local_day.replace(day=1))):
            table[key][1] += n

    met_late = and_(ClockRow.met_at.is_not(None), ClockRow.met_at > ClockRow.due_at)
    met_on_time = and_(ClockRow.met_at.is_not(None), ClockRow.met_at <= ClockRow.due_at)
    open_past_due = and_(ClockRow.met_at.is_(None), ClockRow.due_at <= now)
    breached = or_(met_late, open_past_due)
    clock_cond = [*case_cond, ClockRow.superseded_at.is_(None)]

    # Clocks grouped by kind and local day of their case's opening: outcomes per kind and the trend.
    clock_day = _day_expr(session, CaseRow.opened_at, now).label("day")
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for kind, day_text, n, on_time, late, past_due in session.execute(
        select(ClockRow.kind, clock_day, func.count(), count_if(met_on_time), count_if(met_late),
               count_if(open_past_due))
        .join(CaseRow, CaseRow.id == ClockRow.case_id)
        .where(*clock_cond)
        .group_by(ClockRow.kind, clock_day)
    ):
        counts = per_kind[str(kind)]
        for i, value in enumerate((n, on_time, late, past_due)):
            counts[i] += int(value or 0)
        local_day = date.fromisoformat(str(day_text)[:10])
        for table, key in ((weekly, _monday(local_day)), (monthly, local_day.replace(day=1))):
            table[key][2] += int(n)
            table[key][3] += int(late or 0) + int(past_due or 0)
    outcomes = tuple(
        ClockOutcome(kind=k, total=n, on_time=ot, late=lt, open_past_due=op, running=n - ot - lt - op)
        for k, (n, ot, lt, op) in sorted(per_kind.items(), key=lambda kv: -kv[1][0])
    )

    def trend(table: dict[date, list[int]]) -> tuple[TrendRow, ...]:
        return tuple(TrendRow(k, v[0], v[1], v[2], v[3]) for k, v in sorted(table.items()))

    breach_cond = [*clock_cond, breached]
    breach_total = sum(o.ever_breached for o in outcomes)
    breach_rows = session.execute(
        select(
            CaseRow.id, CaseRow.title, CaseRow.unit_id, CaseRow.grade, ClockRow.kind, ClockRow.due_at, ClockRow.met_at
        )
        .join(CaseRow, CaseRow.id == ClockRow.case_id)
        .where(*breach_cond)
        .order_by(ClockRow.due_at.desc())
        .limit(breach_limit)
    ).all()
    breaches = tuple(
        BreachRow(
            case_id=r.id, title=r.title, unit_id=r.unit_id, grade=r.grade, kind=r.kind, due_at=r.due_at,
            met_at=r.met_at, overdue=as_utc(r.met_at or now) - as_utc(r.due_at),
        )
        for r in breach_rows
    )

    grade_order = {g.value: g.level for g in Grade}
    return Statistics(
        start=start, end=end, now=now, case_total=case_total,
        by_grade=tuple(sorted(by_grade.items(), key=lambda kv: grade_order.get(kv[0], 9))),
        by_category=tuple(by_category.most_common()),
        by_state=tuple(by_state.most_common()),
        clocks=outcomes,
        first_response_hours=tuple(hours),
        median_first_response_h=statistics.median(hours) if hours else None,
        p90_first_response_h=percentile(hours, 0.9),
        weekly=trend(weekly), monthly=trend(monthly),
        breaches=breaches, breach_total=int(breach_total),
    )


# ---------------------------------------------------------------- notices


@dataclass(frozen=True, slots=True)
class NoticeInfo:
    """A warning or breach notice and whether it reached anyone."""

    id: int
    case_id: int | None
    unit_id: str
    kind: str
    title: str
    created_at: datetime
    delivery: str  # 已发送 / 发送中 / 发送失败 / 状态未知
    attempts: int
    last_error: str
    sent_at: datetime | None


def delivery_label(record: NoticeRecord, now: datetime) -> str:
    """已发送, 发送失败, 发送中 (claimed moments ago) or 状态未知 (the sender stopped mid-send)."""
    if record.status is NoticeStatus.SENT:
        return "已发送"
    if record.status is NoticeStatus.FAILED:
        return "发送失败"
    return "状态未知" if as_utc(record.created_at) < now - PENDING_UNKNOWN_AFTER else "发送中"


def _notice_info(record: NoticeRecord, now: datetime) -> NoticeInfo:
    n = record.notice
    return NoticeInfo(
        record.id, n.case_id, n.unit_id, n.kind.value, n.title, as_utc(record.created_at),
        delivery_label(record, now), record.attempts, record.last_error or "",
        as_utc(record.sent_at) if record.sent_at else None,
    )


def case_notices(session: Session, case_id: int, now: datetime) -> tuple[NoticeInfo, ...]:
    """Every notice about a case, newest first, with its delivery state."""
    return tuple(_notice_info(r, now) for r in NoticeRepository(session).list(case_id=case_id))


def undelivered_notices(session: Session, now: datetime, unit_ids: Sequence[str] = ()) -> tuple[NoticeInfo, ...]:
    """Notices of the last 24 hours that reached no one (failed, or cut off mid-send), newest first."""
    records = NoticeRepository(session).undelivered(
        since=now - UNDELIVERED_WINDOW, pending_before=now - PENDING_UNKNOWN_AFTER, unit_ids=unit_ids
    )
    return tuple(_notice_info(r, now) for r in records)


# ---------------------------------------------------------------- administration


def sources_health(session: Session) -> tuple[SourceHealth, ...]:
    """Every source with last success, failures and next poll; failing ones first."""
    return tuple(sorted(SourceRepository(session).list_health(), key=lambda s: (-s.consecutive_failures, s.name)))


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A dashboard user without the password hash."""

    id: int
    username: str
    display_name: str
    role: str
    units: tuple[str, ...]
    active: bool
    created_at: datetime


def _user_info(record: UserRecord) -> UserInfo:
    return UserInfo(record.id, record.username, record.display_name, record.role.value, record.units, record.active,
                    record.created_at)


def users(session: Session) -> tuple[UserInfo, ...]:
    """Every user, by username."""
    return tuple(_user_info(r) for r in UserRepository(session).list())


def user_credentials(session: Session, username: str) -> tuple[UserInfo, str] | None:
    """The user and their password hash, for sign-in only."""
    record = UserRepository(session).get_by_username(username)
    return (_user_info(record), record.password_hash) if record is not None else None
