"""The case state machine: open, acknowledge, respond, dismiss, close, reopen, regrade, refresh.

Every function is pure: it takes the case and `now` and returns (new Case, audit entries), or raises
InvalidTransition with a Chinese message. Storage persists the results.

States: 待确认 (NEW) → 处置中 (ACKNOWLEDGED) → 已回应 (RESPONDED) → 已办结 (CLOSED), and
误报/无需回应 (DISMISSED) from NEW or ACKNOWLEDGED. CLOSED and DISMISSED can be reopened to 处置中.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from classifier.types import Grade
from responder.audit import case_fields, clock_key, clock_to_dict, response_to_dict
from responder.deadlines import PROVISIONAL_NOTE, WeekdayCalendar, WorkCalendar, due_at
from responder.errors import CalendarNotCovered, InvalidInput, InvalidTransition
from responder.plans import rules_for
from responder.times import format_local, require_aware
from responder.types import (
    AuditEntry,
    Case,
    CaseState,
    CaseTimes,
    Clock,
    ClockRule,
    ClockState,
    ClockView,
    LimitUnit,
    Plan,
    Response,
    StartBasis,
    Trigger,
)

SYSTEM_ACTOR = "system"
OPEN_CLOCK_STATES = frozenset({ClockState.RUNNING, ClockState.BREACHED})
FINAL_CASE_STATES = frozenset({CaseState.CLOSED, CaseState.DISMISSED})
_BASIS_ORDER = (StartBasis.OCCURRED, StartBasis.FIRST_ONLINE, StartBasis.DISCOVERED)
_BASIS_LABEL = {
    StartBasis.OCCURRED: "事件发生时间",
    StartBasis.FIRST_ONLINE: "首次见网时间",
    StartBasis.DISCOVERED: "值班发现时间",
}


def case_ref(case: Case) -> str:
    """Stable identity of a case before and after storage gives it an id: '<event_id>:<unit_id>'."""
    return f"{case.event_id}:{case.unit_id}"


def _entry(
    case: Case,
    now: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEntry:
    return AuditEntry(
        at=now,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
        case_id=case.id,
    )


def case_change(
    case: Case, new: Case, now: datetime, actor: str, action: str, extra: dict[str, Any] | None = None
) -> AuditEntry:
    """A case entry whose before/after hold exactly the changed scalar fields (plus optional context)."""
    changed = [name for name in case_fields(case) if case_fields(case, [name]) != case_fields(new, [name])]
    before = case_fields(case, changed)
    after = case_fields(new, changed)
    if extra:
        after = {**after, **extra}
    return _entry(new, now, actor, action, "case", case_ref(new), before, after)


def _clock_entry(
    case: Case,
    clock: Clock,
    old: Clock | None,
    now: datetime,
    actor: str,
    action: str,
    extra: dict[str, Any] | None = None,
) -> AuditEntry:
    after = clock_to_dict(clock)
    if extra:
        after.update(extra)
    before = (
        None
        if old is None
        else {
            "state": old.state.value,
            "met_at": old.met_at.isoformat() if old.met_at else None,
            "superseded_at": old.superseded_at.isoformat() if old.superseded_at else None,
        }
    )
    return _entry(case, now, actor, action, "clock", clock_key(clock), before, after)


def start_time(basis: StartBasis, times: CaseTimes) -> tuple[StartBasis, datetime]:
    """The moment a clock of `basis` starts; an unknown moment falls back to the next known one (→ discovered)."""
    values = {
        StartBasis.OCCURRED: times.occurred_at,
        StartBasis.FIRST_ONLINE: times.first_online_at,
        StartBasis.DISCOVERED: times.discovered_at,
    }
    for candidate in _BASIS_ORDER[_BASIS_ORDER.index(basis) :]:
        value = values[candidate]
        if value is not None:
            return candidate, require_aware(value, f"times.{candidate.value}")
    raise InvalidInput("times.discovered_at is required")  # unreachable with a well-typed CaseTimes


def _new_clock(
    rule: ClockRule, trigger: Trigger, plan: Plan, times: CaseTimes, calendar: WorkCalendar | None
) -> tuple[Clock, dict[str, Any]]:
    used, started = start_time(rule.basis, times)
    note: dict[str, Any] = {}
    if used is not rule.basis:
        note = {
            "basis_planned": rule.basis.value,
            "basis_note": f"预案规定以{_BASIS_LABEL[rule.basis]}起算，该时间未知，改以{_BASIS_LABEL[used]}起算",
        }
    citation = rule.citation
    try:
        due = due_at(started, rule.limit, rule.unit, calendar)
    except CalendarNotCovered as exc:
        # A year without holiday data (the State Council publishes it each autumn): open the case with a
        # provisional Monday–Friday deadline, said so on the clock, rather than not opening it at all.
        due = due_at(started, rule.limit, rule.unit, WeekdayCalendar())
        citation = f"{rule.citation}（{PROVISIONAL_NOTE}）"
        note = {**note, "calendar_note": f"{PROVISIONAL_NOTE}：{exc}"}
    clock = Clock(
        kind=rule.kind,
        basis=used,
        started_at=started,
        due_at=due,
        limit=rule.limit,
        unit=rule.unit,
        plan_id=plan.id,
        plan_version=plan.version,
        trigger=trigger,
        citation=citation,
        met_by=rule.met_by,
        repeats=rule.repeats,
    )
    return clock, note


def _meet(clock: Clock, response: Response) -> Clock:
    """The clock met by `response`: on time when responded at or before due (due itself is on time)."""
    assert response.id is not None
    on_time = response.responded_at <= clock.due_at
    return replace(
        clock,
        state=ClockState.MET if on_time else ClockState.MET_LATE,
        met_at=response.responded_at,
        met_by_response_id=response.id,
        superseded_at=None,
    )


def _first_matching(clock: Clock, responses: Sequence[Response]) -> Response | None:
    matching = [r for r in responses if r.method in clock.met_by and r.id is not None]
    return min(matching, key=lambda r: (r.responded_at, r.id or 0)) if matching else None


def _live_state(clock: Clock, now: datetime) -> ClockState:
    return ClockState.BREACHED if now > clock.due_at else ClockState.RUNNING


def refresh(case: Case, now: datetime, *, actor: str = SYSTEM_ACTOR) -> tuple[Case, list[AuditEntry]]:
    """Mark RUNNING clocks whose due time has passed (now > due) as BREACHED; pure and deterministic."""
    now = require_aware(now, "now")
    entries: list[AuditEntry] = []
    clocks = list(case.clocks)
    for i, clock in enumerate(clocks):
        if clock.state is ClockState.RUNNING and now > clock.due_at:
            clocks[i] = replace(clock, state=ClockState.BREACHED)
            entries.append(_clock_entry(case, clocks[i], clock, now, actor, "clock_breached"))
    if not entries:
        return case, []
    return replace(case, clocks=tuple(clocks)), entries


def _sync_clocks(
    case: Case, plan: Plan, now: datetime, actor: str, calendar: WorkCalendar | None
) -> tuple[Case, list[AuditEntry]]:
    """Make the clocks match the case's trigger: start missing ones, revive re-applicable ones, supersede the rest.

    A clock is identified by (trigger, kind) and never restarted: a clock that exists keeps its start and due.
    """
    required = rules_for(plan, case.trigger, case.heavy_casualties) if case.trigger is not None else ()
    required_keys = {f"{case.trigger.value}|{r.kind.value}" for r in required} if case.trigger else set()
    entries: list[AuditEntry] = []
    clocks = list(case.clocks)
    for i, clock in enumerate(clocks):
        if clock_key(clock) not in required_keys and clock.state in OPEN_CLOCK_STATES:
            clocks[i] = replace(clock, state=ClockState.SUPERSEDED, superseded_at=now)
            entries.append(
                _clock_entry(
                    case,
                    clocks[i],
                    clock,
                    now,
                    actor,
                    "clock_superseded",
                    {"reason": "按当前等级/预案不再适用"},
                )
            )
    index = {clock_key(c): i for i, c in enumerate(clocks)}
    assert case.trigger is not None or not required
    for rule in required:
        assert case.trigger is not None
        key = f"{case.trigger.value}|{rule.kind.value}"
        if key in index:
            i = index[key]
            old = clocks[i]
            if old.state is ClockState.SUPERSEDED:
                revived = replace(old, state=_live_state(old, now), superseded_at=None)
                match = _first_matching(revived, case.responses)
                revived = _meet(revived, match) if match is not None else revived
                clocks[i] = revived
                entries.append(
                    _clock_entry(
                        case,
                        revived,
                        old,
                        now,
                        actor,
                        "clock_revived",
                        {"reason": "重新适用，沿用原起算与截止时间，不重新计时"},
                    )
                )
            continue
        clock, note = _new_clock(rule, case.trigger, plan, case.times, calendar)
        match = _first_matching(clock, case.responses)
        if match is not None:
            # A response recorded before a re-grade still counts for the new clock.
            clock = _meet(clock, match)
            note = {**note, "met_by_earlier_response": match.id}
        clocks.append(clock)
        index[key] = len(clocks) - 1
        entries.append(_clock_entry(case, clock, None, now, actor, "clock_started", note or None))
    new_case = replace(case, clocks=tuple(clocks))
    if new_case.state not in FINAL_CASE_STATES:
        new_case, breached = refresh(new_case, now, actor=SYSTEM_ACTOR)
        entries.extend(breached)
    return new_case, entries


def open_case(
    event_id: int,
    unit_id: str,
    title: str,
    category: str,
    grade: Grade | None,
    trigger: Trigger | None,
    heavy_casualties: bool,
    times: CaseTimes,
    plan: Plan,
    now: datetime,
    *,
    actor: str = SYSTEM_ACTOR,
    calendar: WorkCalendar | None = None,
    existing: Case | None = None,
) -> tuple[Case, list[AuditEntry]]:
    """Open a case and start every clock its trigger (and condition) requires under `plan`.

    Idempotent: pass the stored case for (event, unit) as `existing` and it is returned unchanged with no
    entries when nothing changed (a re-run never restarts a clock); a changed grade goes through `regrade`.
    A closed or dismissed existing case is returned as is (a re-run never reopens). `trigger=None` opens
    a case without clocks (the classifier decides whether to open at all; neutral news should not be opened).
    """
    now = require_aware(now, "now")
    if existing is not None:
        if existing.event_id != event_id or existing.unit_id != unit_id:
            raise InvalidInput("existing case belongs to another event/unit")
        if existing.state in FINAL_CASE_STATES:
            return existing, []
        return regrade(existing, grade, trigger, heavy_casualties, plan, now, actor=actor, calendar=calendar)
    times = CaseTimes(
        occurred_at=require_aware(times.occurred_at, "times.occurred_at") if times.occurred_at else None,
        first_online_at=require_aware(times.first_online_at, "times.first_online_at")
        if times.first_online_at
        else None,
        discovered_at=require_aware(times.discovered_at, "times.discovered_at"),
    )
    case = Case(
        event_id=event_id,
        unit_id=unit_id,
        state=CaseState.NEW,
        grade=grade,
        trigger=trigger,
        heavy_casualties=heavy_casualties,
        plan_id=plan.id,
        plan_version=plan.version,
        times=times,
        opened_at=now,
        title=title,
        category=category,
    )
    after = case_fields(case)
    if trigger is None:
        after["note"] = "无需计时：该条目不触发任何回应时限"
    elif not rules_for(plan, trigger, heavy_casualties):
        after["note"] = f"预案 {plan.id} 对“{trigger.value}”未设定时限"
    entries = [_entry(case, now, actor, "case_opened", "case", case_ref(case), None, after)]
    case, clock_entries = _sync_clocks(case, plan, now, actor, calendar)
    return case, entries + clock_entries


def acknowledge(case: Case, now: datetime, *, actor: str) -> tuple[Case, list[AuditEntry]]:
    """待确认 → 处置中: the duty office takes the case on (stops repeated breach notices)."""
    now = require_aware(now, "now")
    if case.state is not CaseState.NEW:
        raise InvalidTransition(f"只有“待确认”的处置单可以确认，当前状态为“{case.state.value}”")
    new = replace(case, state=CaseState.ACKNOWLEDGED, acknowledged_at=now)
    entries = [case_change(case, new, now, actor, "case_acknowledged")]
    # Every transition knows `now`, so it also records breaches that happened meanwhile.
    new, breached = refresh(new, now)
    return new, entries + breached


def record_response(
    case: Case, response: Response, now: datetime, *, actor: str | None = None
) -> tuple[Case, list[AuditEntry]]:
    """Record a response: it meets every open clock whose met_by includes its method (late if after due).

    A response that meets no open clock is a follow-up (根据进展情况持续发布). Recording the same response
    id twice is a no-op. A response on a NEW case also acknowledges it.
    """
    now = require_aware(now, "now")
    who = actor or response.actor
    if case.state in FINAL_CASE_STATES:
        raise InvalidTransition(f"处置单已是“{case.state.value}”，不能再登记回应；如需继续处置请先重新打开")
    if response.id is None:
        raise InvalidInput(
            "response.id is None: storage inserts the response first, then calls record_response"
        )
    if any(r.id == response.id for r in case.responses):
        return case, []
    response = replace(response, responded_at=require_aware(response.responded_at, "response.responded_at"))
    clocks = list(case.clocks)
    met_entries: list[AuditEntry] = []
    met_keys: list[str] = []
    for i, clock in enumerate(clocks):
        if clock.state in OPEN_CLOCK_STATES and response.method in clock.met_by:
            clocks[i] = _meet(clock, response)
            met_keys.append(clock_key(clock))
            action = "clock_met" if clocks[i].state is ClockState.MET else "clock_met_late"
            met_entries.append(
                _clock_entry(case, clocks[i], clock, now, who, action, {"response_id": response.id})
            )
    follow_up = not met_keys
    new = replace(
        case,
        clocks=tuple(clocks),
        responses=(*case.responses, response),
        state=CaseState.RESPONDED,
        acknowledged_at=case.acknowledged_at or now,
    )
    response_after = {**response_to_dict(response), "follow_up": follow_up, "met_clocks": met_keys}
    entries = [
        _entry(
            new,
            now,
            who,
            "follow_up_recorded" if follow_up else "response_recorded",
            "response",
            str(response.id),
            None,
            response_after,
        )
    ]
    entries.extend(met_entries)
    if case.state is not CaseState.RESPONDED or case.acknowledged_at is None:
        entries.append(case_change(case, new, now, who, "case_responded"))
    new, breached = refresh(new, now)
    return new, entries + breached


def dismiss(case: Case, reason: str, now: datetime, *, actor: str) -> tuple[Case, list[AuditEntry]]:
    """→ 误报/无需回应 with a reason; open clocks become SUPERSEDED (kept in the record)."""
    now = require_aware(now, "now")
    if not reason.strip():
        raise InvalidTransition("撤销（误报/无需回应）必须填写理由")
    if case.state not in (CaseState.NEW, CaseState.ACKNOWLEDGED):
        raise InvalidTransition(
            f"只有“待确认”或“处置中”的处置单可以作为误报/无需回应撤销，当前状态为“{case.state.value}”"
        )
    entries: list[AuditEntry] = []
    clocks = list(case.clocks)
    for i, clock in enumerate(clocks):
        if clock.state in OPEN_CLOCK_STATES:
            clocks[i] = replace(clock, state=ClockState.SUPERSEDED, superseded_at=now)
            entries.append(
                _clock_entry(case, clocks[i], clock, now, actor, "clock_superseded", {"reason": "处置单撤销"})
            )
    new = replace(case, state=CaseState.DISMISSED, dismiss_reason=reason.strip(), clocks=tuple(clocks))
    return new, [case_change(case, new, now, actor, "case_dismissed"), *entries]


def close(case: Case, now: datetime, *, actor: str) -> tuple[Case, list[AuditEntry]]:
    """→ 已办结; refused while any clock is still running or breached and unmet."""
    now = require_aware(now, "now")
    if case.state not in (CaseState.ACKNOWLEDGED, CaseState.RESPONDED):
        raise InvalidTransition(f"只有“处置中”或“已回应”的处置单可以办结，当前状态为“{case.state.value}”")
    case, breached = refresh(case, now)
    open_clocks = [c for c in case.clocks if c.state in OPEN_CLOCK_STATES]
    if open_clocks:
        names = "、".join(f"{c.kind.value}（截止 {format_local(c.due_at)}）" for c in open_clocks)
        raise InvalidTransition(f"尚有 {len(open_clocks)} 个时限未满足，不能办结：{names}")
    new = replace(case, state=CaseState.CLOSED, closed_at=now)
    return new, [*breached, case_change(case, new, now, actor, "case_closed")]


def reopen(
    case: Case,
    plan: Plan,
    now: datetime,
    *,
    actor: str,
    reason: str,
    calendar: WorkCalendar | None = None,
) -> tuple[Case, list[AuditEntry]]:
    """已办结 / 误报 → 处置中; clocks of the current trigger that were superseded come back with their old due time."""
    now = require_aware(now, "now")
    if case.state not in FINAL_CASE_STATES:
        raise InvalidTransition(
            f"只有“已办结”或“误报/无需回应”的处置单可以重新打开，当前状态为“{case.state.value}”"
        )
    if not reason.strip():
        raise InvalidTransition("重新打开必须填写理由")
    new = replace(
        case,
        state=CaseState.ACKNOWLEDGED,
        closed_at=None,
        dismiss_reason="",
        acknowledged_at=case.acknowledged_at or now,
    )
    entries = [case_change(case, new, now, actor, "case_reopened", {"reason": reason.strip()})]
    new, clock_entries = _sync_clocks(new, plan, now, actor, calendar)
    return new, entries + clock_entries


def regrade(
    case: Case,
    grade: Grade | None,
    trigger: Trigger | None,
    heavy_casualties: bool,
    plan: Plan,
    now: datetime,
    *,
    actor: str = SYSTEM_ACTOR,
    calendar: WorkCalendar | None = None,
) -> tuple[Case, list[AuditEntry]]:
    """Re-grade (e.g. deaths 2 → 12): start the new trigger's clocks, supersede those that no longer apply.

    A clock that exists for the same (trigger, kind) is never restarted; what was due stays in the record.
    Calling it again with the same values returns the case unchanged and no entries.
    """
    now = require_aware(now, "now")
    if case.state in FINAL_CASE_STATES:
        raise InvalidTransition(f"处置单已是“{case.state.value}”，请先重新打开再调整等级")
    new = replace(case, grade=grade, trigger=trigger, heavy_casualties=heavy_casualties)
    entries: list[AuditEntry] = []
    if new != case:
        extra: dict[str, Any] = {}
        if plan.id != case.plan_id or plan.version != case.plan_version:
            extra["plan_used"] = {"plan_id": plan.id, "plan_version": plan.version}
        entries.append(case_change(case, new, now, actor, "case_regraded", extra or None))
    new, clock_entries = _sync_clocks(new, plan, now, actor, calendar)
    return new, entries + clock_entries


def was_breached(clock: Clock) -> bool:
    """True if the clock passed its due time unmet at some point (breached, met late, or superseded after due)."""
    if clock.state in (ClockState.BREACHED, ClockState.MET_LATE):
        return True
    return (
        clock.state is ClockState.SUPERSEDED
        and clock.superseded_at is not None
        and clock.superseded_at > clock.due_at
    )


def follow_ups(case: Case) -> tuple[Response, ...]:
    """Responses that met no clock: follow-up releases (根据进展情况持续发布)."""
    used = {c.met_by_response_id for c in case.clocks}
    return tuple(r for r in case.responses if r.id not in used)


def clock_views(case: Case) -> list[ClockView]:
    """ClockView rows for the unmet clocks of a stored case (ids required); storage builds these in bulk."""
    if case.id is None:
        raise InvalidInput("case.id is None: clock views need a stored case")
    views = []
    for clock in case.clocks:
        if clock.state not in OPEN_CLOCK_STATES:
            continue
        if clock.id is None:
            raise InvalidInput("clock.id is None: clock views need stored clocks")
        views.append(
            ClockView(
                case_id=case.id,
                clock_id=clock.id,
                unit_id=case.unit_id,
                case_title=case.title,
                case_state=case.state,
                grade=case.grade,
                kind=clock.kind,
                state=clock.state,
                started_at=clock.started_at,
                due_at=clock.due_at,
                acknowledged_at=case.acknowledged_at,
            )
        )
    return views


def is_working_day_clock(clock: Clock) -> bool:
    """True for a clock counted in working days (its due time shows as 24:00 of the last day)."""
    return clock.unit is LimitUnit.WORKING_DAYS
