"""Property test: any sequence of transitions keeps the invariants and the audit log replays to the state."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.types import Grade
from responder.audit import clock_key, replay, strip_ids
from responder.cases import acknowledge, close, dismiss, open_case, record_response, refresh, regrade, reopen
from responder.errors import InvalidTransition
from responder.plans import load_plans
from responder.types import AuditEntry, CaseTimes, ClockState, ResponseMethod, Trigger

from .conftest import response, utc

PLANS = load_plans()
T0 = utc(2025, 6, 3, 1, 0)
TIMES = CaseTimes(
    occurred_at=T0, first_online_at=T0 + timedelta(minutes=20), discovered_at=T0 + timedelta(minutes=40)
)

grades = st.sampled_from([*Grade, None])
ops = st.lists(
    st.tuples(
        st.sampled_from(["ack", "respond", "regrade", "refresh", "dismiss", "close", "reopen"]),
        st.integers(min_value=0, max_value=600),  # minutes that pass before the step
        grades,
        st.booleans(),
        st.sampled_from(list(ResponseMethod)),
    ),
    max_size=14,
)


def trigger_of(grade: Grade | None) -> Trigger:
    return Trigger(grade.value) if grade is not None else Trigger.OTHER_OPINION


@settings(max_examples=150, deadline=None)
@given(plan_id=st.sampled_from(sorted(PLANS)), first=grades, heavy=st.booleans(), steps=ops)
def test_any_sequence_keeps_invariants(plan_id: str, first: Grade | None, heavy: bool, steps: list) -> None:  # type: ignore[type-arg]
    plan = PLANS[plan_id]
    now = T0 + timedelta(minutes=45)
    case, log = open_case(1, "U", "t", "c", first, trigger_of(first), heavy, TIMES, plan, now)
    log = list(log)
    due_by_key = {clock_key(c): c.due_at for c in case.clocks}
    for op, minutes, grade, flag, method in steps:
        now += timedelta(minutes=minutes)
        try:
            if op == "ack":
                case, entries = acknowledge(case, now, actor="a")
            elif op == "respond":
                case, entries = record_response(case, response(method, now), now)
            elif op == "regrade":
                case, entries = regrade(case, grade, trigger_of(grade), flag, plan, now)
            elif op == "refresh":
                case, entries = refresh(case, now)
            elif op == "dismiss":
                case, entries = dismiss(case, "理由", now, actor="a")
            elif op == "close":
                case, entries = close(case, now, actor="a")
            else:
                case, entries = reopen(case, plan, now, actor="a", reason="理由")
        except InvalidTransition:
            continue
        log.extend(entries)
        assert all(isinstance(e, AuditEntry) for e in entries)
        assert replay(log) == strip_ids(case)
        keys = [clock_key(c) for c in case.clocks]
        assert len(keys) == len(set(keys)), "a (trigger, kind) clock exists once"
        for c in case.clocks:
            key = clock_key(c)
            assert due_by_key.setdefault(key, c.due_at) == c.due_at, "a clock is never restarted"
            assert c.due_at > c.started_at
            if c.state is ClockState.MET:
                assert c.met_at is not None and c.met_at <= c.due_at
            if c.state is ClockState.MET_LATE:
                assert c.met_at is not None and c.met_at > c.due_at
            if c.state is ClockState.SUPERSEDED:
                assert c.superseded_at is not None
            if c.state is ClockState.RUNNING:
                assert now <= c.due_at, "refresh ran inside every transition that can breach"
