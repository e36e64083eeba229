"""Folding a duplicate event into the event it repeats: which cases move, which are dismissed, and when not."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from classifier.types import Grade
from responder.cases import acknowledge, open_case, record_response
from responder.errors import InvalidTransition
from responder.merge import DUPLICATE, plan_event_merge
from responder.types import Case, CaseState, CaseTimes, ClockState, Plan, ResponseMethod, Trigger

from .conftest import response, utc

T0 = utc(2026, 11, 20, 1, 0)
TIMES = CaseTimes(occurred_at=T0, first_online_at=T0 + timedelta(minutes=5), discovered_at=T0 + timedelta(minutes=10))


def opened(plan: Plan, event: int, unit: str, case_id: int, at_minutes: int) -> Case:
    now = T0 + timedelta(minutes=at_minutes)
    case, _ = open_case(event, unit, "示例区化工厂爆炸", "爆炸", Grade.MAJOR, Trigger.MAJOR, True, TIMES, plan, now)
    return replace(case, id=case_id)


def test_later_duplicate_is_dismissed_and_a_lone_unit_case_moves(plans: dict[str, Plan]) -> None:
    plan = plans["unit_default"]
    earlier = opened(plan, 1, "gov", 10, 12)
    duplicate = opened(plan, 2, "gov", 11, 40)
    other_unit = opened(plan, 2, "ajj", 12, 40)
    now = T0 + timedelta(minutes=45)
    merge = plan_event_merge(2, 1, [other_unit, duplicate], [earlier], now, actor="zhiban")
    [dismissed] = merge.dismissed
    assert dismissed.id == 11 and dismissed.state is CaseState.DISMISSED
    assert dismissed.dismiss_reason == f"{DUPLICATE}：已并入处置单 #10" and dismissed.event_id == 2
    assert all(c.state is ClockState.SUPERSEDED for c in dismissed.clocks)  # the earlier case's clocks count
    [moved] = merge.moved
    assert moved.id == 12 and moved.event_id == 1 and moved.clocks == other_unit.clocks  # its clocks stand
    actions = [e.action for e in merge.entries]
    assert actions.count("case_moved") == 1 and actions.count("case_dismissed") == 1
    assert actions[-1] == "event_merged" and merge.entries[-1].case_id == 10
    assert all(e.actor == "zhiban" and e.at == now for e in merge.entries)


def test_an_earlier_case_is_never_folded_into_a_later_one(plans: dict[str, Plan]) -> None:
    plan = plans["unit_default"]
    earlier, later = opened(plan, 1, "gov", 10, 12), opened(plan, 2, "gov", 11, 40)
    with pytest.raises(InvalidTransition, match="较晚开启的处置单并入较早开启的处置单"):
        plan_event_merge(1, 2, [earlier], [later], T0 + timedelta(hours=1), actor="zhiban")


def test_answered_duplicates_and_dismissed_targets_are_refused(plans: dict[str, Plan]) -> None:
    plan = plans["unit_default"]
    earlier, later = opened(plan, 1, "gov", 10, 12), opened(plan, 2, "gov", 11, 40)
    now = T0 + timedelta(hours=1)
    acked, _ = acknowledge(later, now, actor="zhiban")
    assert plan_event_merge(2, 1, [acked], [earlier], now, actor="zhiban").dismissed  # 处置中 may fold in
    answered, _ = record_response(later, response(ResponseMethod.AUTHORITATIVE_RELEASE, now, rid=5), now)
    with pytest.raises(InvalidTransition, match="不能作为重复并入"):
        plan_event_merge(2, 1, [answered], [earlier], now, actor="zhiban")
    gone = replace(earlier, state=CaseState.DISMISSED)
    with pytest.raises(InvalidTransition, match="已撤销"):
        plan_event_merge(2, 1, [later], [gone], now, actor="zhiban")
    with pytest.raises(InvalidTransition, match="同一事件"):
        plan_event_merge(1, 1, [later], [earlier], now, actor="zhiban")
