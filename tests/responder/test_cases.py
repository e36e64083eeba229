"""Cases: opening under each plan, the state machine, meeting clocks, re-grading, idempotency, audit replay."""

from __future__ import annotations

from datetime import timedelta

import pytest

from classifier.types import Grade
from responder.audit import replay, strip_ids
from responder.cases import (
    acknowledge,
    clock_views,
    close,
    dismiss,
    follow_ups,
    open_case,
    record_response,
    refresh,
    regrade,
    reopen,
    was_breached,
)
from responder.deadlines import due_working_day
from responder.errors import InvalidInput, InvalidTransition
from responder.types import (
    AuditEntry,
    Case,
    CaseState,
    CaseTimes,
    Clock,
    ClockKind,
    ClockState,
    Plan,
    Response,
    ResponseMethod,
    StartBasis,
    Trigger,
)

from .conftest import response, sh, utc

OCCURRED = utc(2025, 6, 3, 1, 0)
ONLINE = utc(2025, 6, 3, 1, 20)
DISCOVERED = utc(2025, 6, 3, 1, 40)
TIMES = CaseTimes(occurred_at=OCCURRED, first_online_at=ONLINE, discovered_at=DISCOVERED)
NOW = DISCOVERED + timedelta(minutes=5)

M = ResponseMethod


def clock(case: Case, kind: ClockKind, trigger: Trigger | None = None) -> Clock:
    found = [c for c in case.clocks if c.kind is kind and (trigger is None or c.trigger is trigger)]
    assert len(found) == 1, found
    return found[0]


def open_major(plan: Plan, heavy: bool = True, times: CaseTimes = TIMES, now=NOW):  # type: ignore[no-untyped-def]
    return open_case(7, "U1", "某县化工厂爆炸", "爆炸", Grade.MAJOR, Trigger.MAJOR, heavy, times, plan, now)


def test_open_major_unit_default(plans: dict[str, Plan]) -> None:
    plan = plans["unit_default"]
    case, entries = open_major(plan)
    assert (
        case.state is CaseState.NEW and case.plan_id == "unit_default" and case.plan_version == plan.version
    )
    facts = clock(case, ClockKind.FACTS)
    assert facts.started_at == OCCURRED and facts.basis is StartBasis.OCCURRED
    assert facts.due_at == OCCURRED + timedelta(hours=1)
    assert (
        facts.state is ClockState.RUNNING
        and facts.plan_version == plan.version
        and facts.trigger is Trigger.MAJOR
    )
    assert "二(八)" in facts.citation
    press = clock(case, ClockKind.PRESS_CONFERENCE)
    assert press.due_at == OCCURRED + timedelta(hours=24) and press.repeats
    assert [e.action for e in entries] == ["case_opened", "clock_started", "clock_started"]
    assert entries[0].after is not None and entries[0].after["plan_version"] == plan.version


def test_open_without_heavy_casualties_has_no_press_conference(plans: dict[str, Plan]) -> None:
    case, _ = open_major(plans["unit_default"], heavy=False)
    assert [c.kind for c in case.clocks] == [ClockKind.FACTS]


@pytest.mark.parametrize(
    ("plan_id", "expected"),
    [
        ("unit_default", {ClockKind.FACTS: 1, ClockKind.PRESS_CONFERENCE: 24}),
        ("gov_2016_80", {ClockKind.AUTHORITATIVE: 5, ClockKind.PRESS_CONFERENCE: 24}),
        ("gov_2016_61", {ClockKind.PRESS_CONFERENCE: 24}),
        ("xinxing_2017", {ClockKind.AUTHORITATIVE: 24, ClockKind.PRESS_CONFERENCE: 24}),
        ("policy_interpretation", {}),
    ],
)
def test_open_major_under_each_plan(
    plans: dict[str, Plan], plan_id: str, expected: dict[ClockKind, int]
) -> None:
    case, entries = open_major(plans[plan_id])
    assert {c.kind: (c.due_at - c.started_at) / timedelta(hours=1) for c in case.clocks} == expected
    if not expected:
        assert entries[0].after is not None and "未设定时限" in entries[0].after["note"]


def test_other_opinion_48h_from_first_online(plans: dict[str, Plan]) -> None:
    case, _ = open_case(
        8,
        "U1",
        "网民投诉窗口办事难",
        "投诉/诉求",
        None,
        Trigger.OTHER_OPINION,
        False,
        TIMES,
        plans["unit_default"],
        NOW,
    )
    resp = clock(case, ClockKind.RESPONSE)
    assert resp.basis is StartBasis.FIRST_ONLINE and resp.due_at == ONLINE + timedelta(hours=48)


def test_policy_clock_working_days(plans: dict[str, Plan]) -> None:
    times = CaseTimes(
        occurred_at=sh(2025, 1, 24, 16, 0), first_online_at=None, discovered_at=sh(2025, 1, 24, 17, 0)
    )
    case, _ = open_case(
        9,
        "U1",
        "关于印发某办法的通知",
        "政策发布",
        None,
        Trigger.POLICY,
        False,
        times,
        plans["unit_default"],
        sh(2025, 1, 24, 17, 5),
    )
    c = clock(case, ClockKind.POLICY_INTERPRETATION)
    assert due_working_day(c.due_at).isoformat() == "2025-02-05"


def test_a_year_without_holiday_data_gets_a_provisional_weekday_clock(plans: dict[str, Plan]) -> None:
    """2031 is in no holiday data: the case still opens, Monday–Friday counted, and the clock says so."""
    from datetime import date

    from responder.deadlines import PROVISIONAL_NOTE, uncovered_years
    from responder.errors import CalendarNotCovered

    times = CaseTimes(occurred_at=None, first_online_at=None, discovered_at=sh(2031, 5, 2, 10, 0))  # a Friday
    case, entries = open_case(9, "U1", "关于印发某办法的通知", "政策发布", None, Trigger.POLICY, False, times,
                              plans["unit_default"], sh(2031, 5, 2, 10, 5))
    c = clock(case, ClockKind.POLICY_INTERPRETATION)
    assert due_working_day(c.due_at) == date(2031, 5, 7)  # Mon 5, Tue 6, Wed 7: weekends skipped
    assert c.citation.endswith(f"（{PROVISIONAL_NOTE}）")
    [started] = [e for e in entries if e.action == "clock_started"]
    assert started.after is not None and "2031" in started.after["calendar_note"]

    class Until2030:
        def is_workday(self, day: date) -> bool:
            if day.year > 2030:
                raise CalendarNotCovered(str(day.year))
            return day.weekday() < 5

    assert uncovered_years(date(2030, 12, 10), horizon_days=45, calendar=Until2030()) == [2031]
    assert uncovered_years(date(2030, 11, 1), horizon_days=45, calendar=Until2030()) == []
    assert uncovered_years(date(2025, 3, 1)) == []  # the statutory calendar package covers 2025


def test_basis_fallback_is_recorded(plans: dict[str, Plan]) -> None:
    times = CaseTimes(occurred_at=None, first_online_at=ONLINE, discovered_at=DISCOVERED)
    case, entries = open_major(plans["unit_default"], times=times)
    facts = clock(case, ClockKind.FACTS)
    assert facts.basis is StartBasis.FIRST_ONLINE and facts.started_at == ONLINE
    started = next(e for e in entries if e.action == "clock_started" and e.entity_id == "重大|发布事实信息")
    assert started.after is not None and started.after["basis_planned"] == "occurred"
    assert "事件发生时间" in started.after["basis_note"] and "首次见网时间" in started.after["basis_note"]
    times = CaseTimes(occurred_at=None, first_online_at=None, discovered_at=DISCOVERED)
    case, _ = open_major(plans["unit_default"], times=times)
    assert clock(case, ClockKind.FACTS).basis is StartBasis.DISCOVERED


def test_neutral_news_opens_without_clocks(plans: dict[str, Plan]) -> None:
    case, entries = open_case(
        10, "U1", "某局开展宣传活动", "其他", None, None, False, TIMES, plans["unit_default"], NOW
    )
    assert case.clocks == () and entries[0].after is not None and "无需计时" in entries[0].after["note"]


def test_open_already_overdue_is_breached_at_once(plans: dict[str, Plan]) -> None:
    case, entries = open_major(plans["unit_default"], now=OCCURRED + timedelta(hours=3))
    assert clock(case, ClockKind.FACTS).state is ClockState.BREACHED
    assert clock(case, ClockKind.PRESS_CONFERENCE).state is ClockState.RUNNING
    assert "clock_breached" in [e.action for e in entries]


# --- boundaries --------------------------------------------------------------------------------------


def test_response_exactly_at_due_is_on_time_one_second_later_is_late(plans: dict[str, Plan]) -> None:
    case, _ = open_major(plans["unit_default"], heavy=False)
    due = clock(case, ClockKind.FACTS).due_at
    on_time, _ = record_response(case, response(M.AUTHORITATIVE_RELEASE, due), due)
    assert clock(on_time, ClockKind.FACTS).state is ClockState.MET
    late, entries = record_response(
        case, response(M.AUTHORITATIVE_RELEASE, due + timedelta(seconds=1)), due + timedelta(seconds=1)
    )
    assert clock(late, ClockKind.FACTS).state is ClockState.MET_LATE
    assert "clock_met_late" in [e.action for e in entries]


def test_refresh_breaches_only_after_due(plans: dict[str, Plan]) -> None:
    case, _ = open_major(plans["unit_default"], heavy=False)
    due = clock(case, ClockKind.FACTS).due_at
    same, entries = refresh(case, due)
    assert same is case and entries == []
    breached, entries = refresh(case, due + timedelta(microseconds=1))
    assert clock(breached, ClockKind.FACTS).state is ClockState.BREACHED and len(entries) == 1
    again, entries = refresh(breached, due + timedelta(hours=5))
    assert again is breached and entries == []


def test_response_after_breach_is_met_late_and_recorded(plans: dict[str, Plan]) -> None:
    case, _ = open_major(plans["unit_default"], heavy=False)
    due = clock(case, ClockKind.FACTS).due_at
    case, _ = refresh(case, due + timedelta(minutes=10))
    assert clock(case, ClockKind.FACTS).state is ClockState.BREACHED
    r = response(M.AUTHORITATIVE_RELEASE, due + timedelta(minutes=20))
    case, _ = record_response(case, r, due + timedelta(minutes=21))
    c = clock(case, ClockKind.FACTS)
    assert c.state is ClockState.MET_LATE and c.met_at == r.responded_at and c.met_by_response_id == r.id
    assert was_breached(c) and case.responses == (r,) and case.state is CaseState.RESPONDED


def test_method_must_match(plans: dict[str, Plan]) -> None:
    case, _ = open_major(plans["unit_default"])
    case, entries = record_response(case, response(M.ONLINE_REPLY, NOW), NOW)
    assert clock(case, ClockKind.FACTS).state is ClockState.RUNNING
    assert clock(case, ClockKind.PRESS_CONFERENCE).state is ClockState.RUNNING
    assert entries[0].action == "follow_up_recorded"
    case, _ = record_response(
        case, response(M.PRESS_CONFERENCE, NOW + timedelta(minutes=10)), NOW + timedelta(minutes=10)
    )
    # A press conference releases the facts too: it meets both clocks.
    assert clock(case, ClockKind.FACTS).state is ClockState.MET
    assert clock(case, ClockKind.PRESS_CONFERENCE).state is ClockState.MET


def test_repeating_clock_follow_ups(plans: dict[str, Plan]) -> None:
    case, _ = open_major(plans["unit_default"])
    first = response(M.PRESS_CONFERENCE, NOW + timedelta(hours=2))
    case, _ = record_response(case, first, NOW + timedelta(hours=2))
    second = response(M.PRESS_CONFERENCE, NOW + timedelta(hours=30))
    case, entries = record_response(case, second, NOW + timedelta(hours=30))
    assert clock(case, ClockKind.PRESS_CONFERENCE).met_by_response_id == first.id
    assert (
        entries[0].action == "follow_up_recorded"
        and entries[0].after is not None
        and entries[0].after["follow_up"]
    )
    assert follow_ups(case) == (second,) and case.responses == (first, second)


def test_same_response_twice_is_a_no_op(plans: dict[str, Plan]) -> None:
    case, _ = open_major(plans["unit_default"])
    r = response(M.AUTHORITATIVE_RELEASE, NOW)
    once, _ = record_response(case, r, NOW)
    twice, entries = record_response(once, r, NOW + timedelta(minutes=1))
    assert twice is once and entries == []
    with pytest.raises(InvalidInput):
        record_response(
            case,
            Response(method=M.AUTHORITATIVE_RELEASE, channel=r.channel, actor="x", responded_at=NOW),
            NOW,
        )


# --- state machine -----------------------------------------------------------------------------------


def test_state_machine_happy_path(plans: dict[str, Plan]) -> None:
    case, _ = open_major(plans["unit_default"], heavy=False)
    case, entries = acknowledge(case, NOW, actor="张三")
    assert case.state is CaseState.ACKNOWLEDGED and case.acknowledged_at == NOW
    assert entries[0].before == {"state": "待确认", "acknowledged_at": None}
    with pytest.raises(InvalidTransition, match="只有“待确认”的处置单可以确认"):
        acknowledge(case, NOW, actor="张三")
    with pytest.raises(InvalidTransition, match="尚有 1 个时限未满足"):
        close(case, NOW, actor="张三")
    case, _ = record_response(case, response(M.AUTHORITATIVE_RELEASE, NOW), NOW)
    assert case.state is CaseState.RESPONDED
    case, entries = close(case, NOW + timedelta(hours=1), actor="张三")
    assert case.state is CaseState.CLOSED and case.closed_at == NOW + timedelta(hours=1)
    with pytest.raises(InvalidTransition, match="不能再登记回应"):
        record_response(case, response(M.ONLINE_REPLY, NOW), NOW)
    with pytest.raises(InvalidTransition, match="请先重新打开"):
        regrade(case, Grade.LARGE, Trigger.LARGE, False, plans["unit_default"], NOW, actor="张三")
    case, _ = reopen(
        case, plans["unit_default"], NOW + timedelta(hours=2), actor="张三", reason="家属再次投诉"
    )
    assert case.state is CaseState.ACKNOWLEDGED and case.closed_at is None


def test_response_on_new_case_acknowledges_it(plans: dict[str, Plan]) -> None:
    case, _ = open_major(plans["unit_default"])
    case, entries = record_response(case, response(M.AUTHORITATIVE_RELEASE, NOW), NOW)
    assert case.state is CaseState.RESPONDED and case.acknowledged_at == NOW
    assert entries[-1].action == "case_responded"


def test_dismiss_and_reopen(plans: dict[str, Plan]) -> None:
    case, _ = open_major(plans["unit_default"])
    with pytest.raises(InvalidTransition, match="必须填写理由"):
        dismiss(case, "  ", NOW, actor="李四")
    dismissed, entries = dismiss(case, "同名单位，非本辖区", NOW, actor="李四")
    assert dismissed.state is CaseState.DISMISSED and dismissed.dismiss_reason == "同名单位，非本辖区"
    assert all(c.state is ClockState.SUPERSEDED and c.superseded_at == NOW for c in dismissed.clocks)
    assert [e.action for e in entries].count("clock_superseded") == 2
    with pytest.raises(InvalidTransition):
        dismiss(dismissed, "again", NOW, actor="李四")
    with pytest.raises(InvalidTransition, match="只有“已办结”或“误报/无需回应”"):
        reopen(case, plans["unit_default"], NOW, actor="李四", reason="x")
    later = OCCURRED + timedelta(hours=2)
    back, entries = reopen(dismissed, plans["unit_default"], later, actor="李四", reason="核实确为本辖区")
    assert back.state is CaseState.ACKNOWLEDGED and back.dismiss_reason == ""
    facts = clock(back, ClockKind.FACTS)
    # Revived with the old due time (never restarted), so it is breached now.
    assert facts.due_at == OCCURRED + timedelta(hours=1) and facts.state is ClockState.BREACHED
    assert clock(back, ClockKind.PRESS_CONFERENCE).state is ClockState.RUNNING
    assert "clock_revived" in [e.action for e in entries]


def test_responded_case_cannot_be_dismissed(plans: dict[str, Plan]) -> None:
    case, _ = open_major(plans["unit_default"])
    case, _ = record_response(case, response(M.AUTHORITATIVE_RELEASE, NOW), NOW)
    with pytest.raises(InvalidTransition, match="误报"):
        dismiss(case, "reason", NOW, actor="x")


# --- re-grading --------------------------------------------------------------------------------------


def test_regrade_up_general_to_major(plans: dict[str, Plan]) -> None:
    plan = plans["unit_default"]
    # Deaths 2: 一般 → the 48 h answer clock.
    case, _ = open_case(
        11,
        "U1",
        "某路段交通事故致2人死亡",
        "交通事故",
        Grade.GENERAL,
        Trigger.GENERAL,
        False,
        TIMES,
        plan,
        NOW,
    )
    assert [c.kind for c in case.clocks] == [ClockKind.RESPONSE]
    # Deaths updated to 12: 重大 adds the 1 h facts clock (from occurrence) and the press conference.
    later = NOW + timedelta(minutes=10)
    case, entries = regrade(case, Grade.MAJOR, Trigger.MAJOR, True, plan, later, actor="system")
    general = clock(case, ClockKind.RESPONSE, Trigger.GENERAL)
    assert general.state is ClockState.SUPERSEDED and general.superseded_at == later
    facts = clock(case, ClockKind.FACTS, Trigger.MAJOR)
    assert facts.due_at == OCCURRED + timedelta(hours=1) and facts.state is ClockState.RUNNING
    assert clock(case, ClockKind.PRESS_CONFERENCE, Trigger.MAJOR).state is ClockState.RUNNING
    assert entries[0].action == "case_regraded"
    assert entries[0].before == {"grade": "一般", "trigger": "一般", "heavy_casualties": False}
    assert entries[0].after == {"grade": "重大", "trigger": "重大", "heavy_casualties": True}
    assert len(case.clocks) == 3


def test_regrade_counts_earlier_response(plans: dict[str, Plan]) -> None:
    plan = plans["unit_default"]
    case, _ = open_case(12, "U1", "事故", "交通事故", Grade.GENERAL, Trigger.GENERAL, False, TIMES, plan, NOW)
    r = response(M.AUTHORITATIVE_RELEASE, NOW)
    case, _ = record_response(case, r, NOW)
    case, _ = regrade(case, Grade.MAJOR, Trigger.MAJOR, False, plan, NOW + timedelta(hours=3))
    facts = clock(case, ClockKind.FACTS)
    assert facts.state is ClockState.MET and facts.met_by_response_id == r.id  # released before the 1 h due


def test_regrade_down_supersedes_and_keeps(plans: dict[str, Plan]) -> None:
    plan = plans["unit_default"]
    case, _ = open_major(plan, heavy=False)
    after_due = OCCURRED + timedelta(hours=2)
    case, _ = refresh(case, after_due)
    case, entries = regrade(case, Grade.GENERAL, Trigger.GENERAL, False, plan, after_due)
    facts = clock(case, ClockKind.FACTS)
    assert facts.state is ClockState.SUPERSEDED and facts.due_at == OCCURRED + timedelta(hours=1)
    assert was_breached(facts)  # what was due under the old grade stays in the record
    assert clock(case, ClockKind.RESPONSE, Trigger.GENERAL).due_at == ONLINE + timedelta(hours=48)
    # Back up again: the 重大 clock is revived with its old due time, never restarted.
    case, entries = regrade(case, Grade.MAJOR, Trigger.MAJOR, False, plan, after_due + timedelta(minutes=5))
    assert clock(case, ClockKind.FACTS).due_at == OCCURRED + timedelta(hours=1)
    assert clock(case, ClockKind.FACTS).state is ClockState.BREACHED
    assert len(case.clocks) == 2 and "clock_revived" in [e.action for e in entries]


def test_regrade_same_values_is_idempotent(plans: dict[str, Plan]) -> None:
    case, _ = open_major(plans["unit_default"])
    again, entries = regrade(
        case, Grade.MAJOR, Trigger.MAJOR, True, plans["unit_default"], NOW + timedelta(minutes=1)
    )
    assert again == case and entries == []


def test_restart_mid_clock_reopening_returns_no_new_clock(plans: dict[str, Plan]) -> None:
    plan = plans["unit_default"]
    case, _ = open_major(plan)
    # The process restarts 30 minutes in; the job runs again with the same assessment.
    later = OCCURRED + timedelta(minutes=30)
    again, entries = open_case(
        7, "U1", "某县化工厂爆炸", "爆炸", Grade.MAJOR, Trigger.MAJOR, True, TIMES, plan, later, existing=case
    )
    assert again == case and entries == []
    assert [c.due_at for c in again.clocks] == [c.due_at for c in case.clocks]
    # A closed case is never reopened by a re-run.
    closed = Case(**{**{f: getattr(case, f) for f in case.__dataclass_fields__}, "state": CaseState.CLOSED})
    assert open_case(
        7, "U1", "t", "c", Grade.MAJOR, Trigger.MAJOR, True, TIMES, plan, later, existing=closed
    ) == (closed, [])
    with pytest.raises(InvalidInput):
        open_case(8, "U1", "t", "c", Grade.MAJOR, Trigger.MAJOR, True, TIMES, plan, later, existing=case)


def test_clock_views(plans: dict[str, Plan]) -> None:
    case, _ = open_major(plans["unit_default"])
    with pytest.raises(InvalidInput):
        clock_views(case)
    from dataclasses import replace

    stored = replace(case, id=5, clocks=tuple(replace(c, id=i) for i, c in enumerate(case.clocks, 1)))
    views = clock_views(stored)
    assert [(v.case_id, v.clock_id, v.kind) for v in views] == [
        (5, 1, ClockKind.FACTS),
        (5, 2, ClockKind.PRESS_CONFERENCE),
    ]


def test_naive_now_is_refused(plans: dict[str, Plan]) -> None:
    from datetime import datetime

    with pytest.raises(InvalidInput, match="timezone-aware"):
        open_major(plans["unit_default"], now=datetime(2025, 6, 3, 2, 0))


# --- audit replay ------------------------------------------------------------------------------------


def test_replay_equals_state_through_a_whole_life(plans: dict[str, Plan]) -> None:
    plan = plans["unit_default"]
    log: list[AuditEntry] = []

    def step(result: tuple[Case, list[AuditEntry]]) -> Case:
        case, entries = result
        log.extend(entries)
        assert replay(log) == strip_ids(case), log[-1].action if log else "start"
        return case

    case = step(
        open_case(
            20,
            "U9",
            "某镇食物中毒",
            "食物中毒",
            Grade.GENERAL,
            Trigger.GENERAL,
            False,
            CaseTimes(occurred_at=None, first_online_at=ONLINE, discovered_at=DISCOVERED),
            plan,
            NOW,
        )
    )
    case = step(acknowledge(case, NOW + timedelta(minutes=1), actor="张三"))
    case = step(
        regrade(case, Grade.MAJOR, Trigger.MAJOR, True, plan, NOW + timedelta(minutes=2), actor="张三")
    )
    case = step(refresh(case, NOW + timedelta(hours=2)))
    case = step(
        record_response(
            case, response(M.AUTHORITATIVE_RELEASE, NOW + timedelta(hours=2)), NOW + timedelta(hours=2)
        )
    )
    case = step(
        record_response(
            case, response(M.PRESS_CONFERENCE, NOW + timedelta(hours=20)), NOW + timedelta(hours=20)
        )
    )
    case = step(
        record_response(
            case, response(M.PRESS_CONFERENCE, NOW + timedelta(hours=40)), NOW + timedelta(hours=40)
        )
    )
    case = step(
        regrade(case, Grade.LARGE, Trigger.LARGE, False, plan, NOW + timedelta(hours=41), actor="张三")
    )
    case = step(
        record_response(case, response(M.ONLINE_REPLY, NOW + timedelta(hours=42)), NOW + timedelta(hours=42))
    )
    case = step(close(case, NOW + timedelta(hours=43), actor="张三"))
    case = step(reopen(case, plan, NOW + timedelta(hours=50), actor="张三", reason="新情况"))
    case = step(
        regrade(case, Grade.MAJOR, Trigger.MAJOR, True, plan, NOW + timedelta(hours=51), actor="张三")
    )
    assert len(case.clocks) == 4 and len(case.responses) == 4
    # Every entry is attributable and timestamped.
    assert all(e.actor and e.at.tzinfo is not None for e in log)


def test_replay_dismissed_case(plans: dict[str, Plan]) -> None:
    log: list[AuditEntry] = []
    case, entries = open_major(plans["gov_2016_80"])
    log += entries
    case, entries = dismiss(case, "误报：演练信息", NOW, actor="李四")
    log += entries
    assert replay(log) == strip_ids(case)
    with pytest.raises(InvalidInput):
        replay(log[1:])
