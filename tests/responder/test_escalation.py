"""Escalation: warning thresholds, breach repeats until acknowledged, deterministic keys, speed."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.types import Grade
from responder.errors import InvalidInput
from responder.escalation import EscalationPolicy, breach_key, evaluate, notice_audit, warning_key
from responder.types import CaseState, ClockKind, ClockState, ClockView, NoticeKind

from .conftest import sh

START = sh(2026, 11, 22, 13, 0)
DUE = sh(2026, 11, 22, 14, 0)
POLICY = EscalationPolicy()


def view(**kw: object) -> ClockView:
    base = ClockView(
        case_id=1,
        clock_id=42,
        unit_id="U1",
        case_title="某县化工厂爆炸",
        case_state=CaseState.NEW,
        grade=Grade.MAJOR,
        kind=ClockKind.FACTS,
        state=ClockState.RUNNING,
        started_at=START,
        due_at=DUE,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def keys(at: datetime, *views: ClockView, policy: EscalationPolicy = POLICY) -> list[str]:
    return [n.key for n in evaluate(views or (view(),), at, policy)]


def test_nothing_before_first_threshold() -> None:
    assert keys(START + timedelta(minutes=29, seconds=59)) == []


def test_warning_at_fifty_and_eighty_percent() -> None:
    assert keys(START + timedelta(minutes=30)) == ["clock:42:warn:50"]
    assert keys(START + timedelta(minutes=47)) == ["clock:42:warn:50"]
    assert keys(START + timedelta(minutes=48)) == ["clock:42:warn:80"]
    [notice] = evaluate([view()], START + timedelta(minutes=48), POLICY)
    assert notice.kind is NoticeKind.WARNING and notice.created_for == START + timedelta(minutes=48)
    assert (
        notice.body
        == "【预警】[重大]「某县化工厂爆炸」发布事实信息时限已过 80%，距时限还剩 12 分钟（截止 2026-11-22 14:00），请尽快回应。"
    )
    assert notice.title == "【预警】某县化工厂爆炸 · 发布事实信息"


def test_only_latest_threshold_after_downtime() -> None:
    # The sweeper was down from 10 % to 90 %: only the 80 % warning is sent, not a burst.
    assert keys(START + timedelta(minutes=54)) == ["clock:42:warn:80"]


def test_exactly_at_due_is_not_yet_a_breach() -> None:
    assert keys(DUE) == ["clock:42:warn:80"]
    assert keys(DUE + timedelta(microseconds=1)) == ["clock:42:breach:0"]


def test_breach_repeats_until_acknowledged() -> None:
    assert keys(DUE + timedelta(minutes=29)) == ["clock:42:breach:0"]
    assert keys(DUE + timedelta(minutes=30)) == ["clock:42:breach:1"]
    assert keys(DUE + timedelta(minutes=95)) == ["clock:42:breach:3"]
    [n] = evaluate([view(state=ClockState.BREACHED)], DUE + timedelta(minutes=95), POLICY)
    assert n.created_for == DUE + timedelta(minutes=90) and n.kind is NoticeKind.BREACH
    assert n.title.startswith("【超时·第 4 次提醒】")
    assert "已超过时限 1 小时 35 分钟（截止 2026-11-22 14:00）" in n.body
    # Acknowledged 40 min after due: repeats 0 (due) and 1 (+30 min) were due, none after.
    acked = view(acknowledged_at=DUE + timedelta(minutes=40), case_state=CaseState.ACKNOWLEDGED)
    assert keys(DUE + timedelta(hours=5), acked) == ["clock:42:breach:1"]
    # Acknowledged exactly at a repeat moment: that repeat is not sent.
    acked = view(acknowledged_at=DUE + timedelta(minutes=60), case_state=CaseState.ACKNOWLEDGED)
    assert keys(DUE + timedelta(hours=5), acked) == ["clock:42:breach:1"]
    # Acknowledged before due: the breach itself is still notified once, never repeated.
    acked = view(acknowledged_at=START, case_state=CaseState.ACKNOWLEDGED)
    assert keys(DUE + timedelta(hours=5), acked) == ["clock:42:breach:0"]
    # With repeat_until_acknowledged=False repeats go on until the clock is met.
    forever = EscalationPolicy(repeat_until_acknowledged=False)
    assert keys(DUE + timedelta(hours=5), acked, policy=forever) == ["clock:42:breach:10"]


def test_met_superseded_and_finished_cases_are_silent() -> None:
    late = DUE + timedelta(hours=1)
    for v in (
        view(state=ClockState.MET),
        view(state=ClockState.MET_LATE),
        view(state=ClockState.SUPERSEDED),
        view(case_state=CaseState.CLOSED),
        view(case_state=CaseState.DISMISSED),
    ):
        assert evaluate([v], late, POLICY) == []


def test_custom_fractions_and_keys() -> None:
    policy = EscalationPolicy(fractions=(0.25, 0.5, 0.75, 0.9), repeat_interval=timedelta(minutes=10))
    assert keys(START + timedelta(minutes=15), policy=policy) == ["clock:42:warn:25"]
    assert keys(START + timedelta(minutes=55), policy=policy) == ["clock:42:warn:90"]
    assert keys(DUE + timedelta(minutes=25), policy=policy) == ["clock:42:breach:2"]
    assert warning_key(7, 0.8) == "clock:7:warn:80" and breach_key(7, 3) == "clock:7:breach:3"
    for bad in ((0.0,), (1.0,), (0.8, 0.5), (0.5, 0.5)):
        with pytest.raises(InvalidInput):
            EscalationPolicy(fractions=bad)
    with pytest.raises(InvalidInput):
        EscalationPolicy(repeat_interval=timedelta(0))


def test_working_day_due_shows_24h() -> None:
    due = sh(2025, 2, 6, 0, 0)
    [n] = evaluate(
        [view(started_at=sh(2025, 1, 24, 16, 0), due_at=due, kind=ClockKind.POLICY_INTERPRETATION)],
        due - timedelta(hours=1),
        POLICY,
    )
    assert "（截止 2025-02-05 24:00）" in n.body and "距时限还剩 1 小时" in n.body


def test_two_concurrent_sweeps_agree_on_keys() -> None:
    """Two sweeps at once compute the same keys, so storage's unique key lets each notice through once."""
    views = [view(clock_id=i, due_at=DUE + timedelta(minutes=i)) for i in range(100)]
    at = DUE + timedelta(minutes=50)
    results: list[list[str]] = []

    def sweep() -> None:
        results.append([n.key for n in evaluate(views, at, POLICY)])

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0] == results[1] and len(set(results[0])) == len(results[0]) == 100
    sent: set[str] = set()  # stands in for storage's unique notice key
    delivered = [k for r in results for k in r if not (k in sent or sent.add(k))]  # type: ignore[func-returns-value]
    assert len(delivered) == 100


def test_notice_audit() -> None:
    [n] = evaluate([view()], DUE + timedelta(minutes=1), POLICY)
    entry = notice_audit(n, False, "connection refused", DUE + timedelta(minutes=1))
    assert entry.action == "notice_failed" and entry.entity == "notice" and entry.entity_id == n.key
    assert entry.after is not None and entry.after["error"] == "connection refused" and entry.case_id == 1


moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC))


@settings(max_examples=200, deadline=None)
@given(
    start=moments,
    span_min=st.integers(min_value=1, max_value=60 * 24 * 10),
    offset_min=st.integers(min_value=-60, max_value=60 * 24 * 20),
    ack_offset=st.one_of(st.none(), st.integers(min_value=-60, max_value=60 * 24 * 20)),
)
def test_property_evaluate_is_deterministic_and_sane(
    start: datetime, span_min: int, offset_min: int, ack_offset: int | None
) -> None:
    due = start + timedelta(minutes=span_min)
    ack = None if ack_offset is None else start + timedelta(minutes=ack_offset)
    v = view(started_at=start, due_at=due, acknowledged_at=ack)
    now = start + timedelta(minutes=offset_min)
    first = evaluate([v], now, POLICY)
    assert first == evaluate([v], now, POLICY)
    assert len(first) <= 1
    for n in first:
        assert n.created_for <= now  # never a notice for a moment still to come
        if n.kind is NoticeKind.BREACH:
            assert now > due and n.created_for >= due
        else:
            assert now <= due and n.created_for >= start


def test_last_notice_for_skips_what_was_recorded() -> None:
    at = START + timedelta(minutes=50)
    [n] = evaluate([view()], at, POLICY)
    assert n.key == "clock:42:warn:80"
    assert evaluate([view(last_notice_for=n.created_for)], at, POLICY) == []
    # The 50 % warning was recorded; the 80 % one is newer and still goes out.
    assert keys(at, view(last_notice_for=START + timedelta(minutes=30))) == ["clock:42:warn:80"]
    # After due the breach is newer than any warning.
    assert keys(DUE + timedelta(minutes=1), view(last_notice_for=n.created_for)) == ["clock:42:breach:0"]
    assert keys(DUE + timedelta(minutes=1), view(last_notice_for=DUE)) == []
    assert keys(DUE + timedelta(minutes=31), view(last_notice_for=DUE)) == ["clock:42:breach:1"]


def test_local_time_same_for_any_aware_zone() -> None:
    from responder.times import SHANGHAI

    at = START + timedelta(minutes=50)
    utc_body = evaluate([view()], at, POLICY)[0].body
    local_view = view(started_at=START.astimezone(SHANGHAI), due_at=DUE.astimezone(SHANGHAI))
    assert evaluate([local_view], at, POLICY)[0].body == utc_body
    # Before 1992 China observed DST: the zoneinfo path is used, not the fixed offset.
    old = view(
        started_at=datetime(1991, 7, 1, 0, 0, tzinfo=UTC), due_at=datetime(1991, 7, 1, 2, 0, tzinfo=UTC)
    )
    [n] = evaluate([old], datetime(1991, 7, 1, 1, 50, tzinfo=UTC), POLICY)
    assert "（截止 1991-07-01 11:00）" in n.body  # UTC+9 in summer 1991


def test_policy_from_config() -> None:
    policy = EscalationPolicy.from_config([0.8, 0.5, 0.5], 15)
    assert policy.fractions == (0.5, 0.8) and policy.repeat_interval == timedelta(minutes=15)
