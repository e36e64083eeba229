"""Case actions: role checks, responder transitions, audit under the signed-in user, training labels."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from classifier.types import Grade
from dashboard import actions
from dashboard.auth import Role, SignedInUser
from dashboard.errors import AccessDenied, ActionError
from responder.plans import load_plans
from responder.types import CaseState, Channel, ClockState, ResponseMethod
from storage.models import AuditRow, CaseRow, LabelRow, UserRow
from tests.dashboard.conftest import USER_OF_ROLE
from tests.dashboard.seed import NOW, Seeded

DUTY = USER_OF_ROLE[Role.DUTY]
LEADER = USER_OF_ROLE[Role.LEADER]
ADMIN = USER_OF_ROLE[Role.ADMIN]


def test_leader_cannot_respond_and_nothing_is_written(seeded: Seeded, session_of) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AccessDenied), session_of() as s, s.begin():
        actions.respond(s, LEADER, seeded.case_ids["major"], method=ResponseMethod.AUTHORITATIVE_RELEASE,
                        channel=Channel.GOV_WEBSITE, responded_at=NOW, now=NOW, text="通报")
    with session_of() as s:
        assert s.execute(select(AuditRow).where(AuditRow.actor == "leader")).first() is None


def test_response_meets_clock_and_audits_under_user(seeded: Seeded, session_of) -> None:  # type: ignore[no-untyped-def]
    case_id = seeded.case_ids["major"]
    with session_of() as s, s.begin():
        result = actions.respond(s, DUTY, case_id, method=ResponseMethod.AUTHORITATIVE_RELEASE,
                                 channel=Channel.GOV_WEIBO, responded_at=NOW - timedelta(minutes=40), now=NOW,
                                 link="https://weibo.example/1", text="情况通报")
    assert result.case is not None and result.case.state is CaseState.RESPONDED
    facts = next(c for c in result.case.clocks if c.kind.value == "发布事实信息")
    assert facts.state is ClockState.MET and facts.met_at == NOW - timedelta(minutes=40)
    assert {e.actor for e in result.audit} == {"duty"}
    assert "response_recorded" in [e.action for e in result.audit]


def test_response_needs_link_or_text_and_not_in_future(seeded: Seeded, session_of) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ActionError), session_of() as s, s.begin():
        actions.respond(s, DUTY, seeded.case_ids["major"], method=ResponseMethod.CLARIFICATION,
                        channel=Channel.OTHER, responded_at=NOW, now=NOW)
    with pytest.raises(ActionError), session_of() as s, s.begin():
        actions.respond(s, DUTY, seeded.case_ids["major"], method=ResponseMethod.CLARIFICATION,
                        channel=Channel.OTHER, responded_at=NOW + timedelta(hours=1), now=NOW, text="x")


def test_dismiss_as_false_positive_stores_label(seeded: Seeded, session_of) -> None:  # type: ignore[no-untyped-def]
    case_id = seeded.case_ids["other"]
    with session_of() as s, s.begin():
        result = actions.dismiss(s, DUTY, case_id, kind=actions.FALSE_POSITIVE, reason="与本单位无关", now=NOW)
    assert result.case is not None and result.case.state is CaseState.DISMISSED
    assert all(c.state is ClockState.SUPERSEDED for c in result.case.clocks)
    with session_of() as s:
        label = s.execute(select(LabelRow).where(LabelRow.case_id == case_id)).scalar_one()
        assert (label.kind, label.value, label.actor) == ("dismiss", "误报", "duty")
        assert label.item_id is not None


def test_dismiss_as_no_response_needed_stores_no_label(seeded: Seeded, session_of) -> None:  # type: ignore[no-untyped-def]
    with session_of() as s, s.begin():
        actions.dismiss(s, DUTY, seeded.case_ids["other"], kind=actions.NO_RESPONSE_NEEDED, reason="中性报道", now=NOW)
    with session_of() as s:
        assert s.execute(select(LabelRow)).first() is None


def test_regrade_starts_new_clocks_and_stores_label(seeded: Seeded, session_of) -> None:  # type: ignore[no-untyped-def]
    case_id = seeded.case_ids["other"]
    with session_of() as s, s.begin():
        result = actions.regrade(s, DUTY, case_id, grade=Grade.MAJOR, heavy_casualties=True,
                                 reason="死亡人数更新为12人", plans=load_plans(), now=NOW)
    assert result.case is not None and result.case.grade is Grade.MAJOR
    kinds = {(c.kind.value, c.state) for c in result.case.clocks}
    assert ("发布事实信息", ClockState.BREACHED) in kinds or ("发布事实信息", ClockState.RUNNING) in kinds
    assert any(c.state is ClockState.SUPERSEDED for c in result.case.clocks)  # the old 48 h clock, kept
    regraded = next(e for e in result.audit if e.action == "case_regraded")
    assert regraded.after is not None and regraded.after["reason"] == "死亡人数更新为12人"
    with session_of() as s:
        label = s.execute(select(LabelRow).where(LabelRow.case_id == case_id)).scalar_one()
        assert (label.kind, label.value) == ("grade", "重大")


def test_assign_moves_case_to_other_unit_with_label(seeded: Seeded, session_of) -> None:  # type: ignore[no-untyped-def]
    case_id = seeded.case_ids["other"]
    with session_of() as s, s.begin():
        result = actions.assign(s, DUTY, case_id, unit_id="shifan_qu", reason="属区级事项", plans=load_plans(), now=NOW)
    assert result.case is not None and result.case.unit_id == "shifan_qu" and result.case.id != case_id
    with session_of() as s:
        old = s.get(CaseRow, case_id)
        assert old is not None and old.state == CaseState.DISMISSED.value and "转办至示例区应急管理局" in old.dismiss_reason
        label = s.execute(select(LabelRow).where(LabelRow.case_id == case_id)).scalar_one()
        assert (label.kind, label.value) == ("unit", "shifan_qu")
        assigned = s.execute(select(AuditRow).where(AuditRow.action == "case_assigned")).scalar_one()
        assert assigned.actor == "duty"


def test_close_refused_while_clock_open_then_allowed(seeded: Seeded, session_of) -> None:  # type: ignore[no-untyped-def]
    case_id = seeded.case_ids["major"]
    with session_of() as s, s.begin():
        actions.acknowledge(s, DUTY, case_id, NOW)
    with pytest.raises(ActionError, match="时限未满足"), session_of() as s, s.begin():
        actions.close(s, DUTY, case_id, NOW)


def test_duty_cannot_manage_users_admin_can(seeded: Seeded, session_of) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AccessDenied), session_of() as s, s.begin():
        actions.add_user(s, DUTY, username="x", display_name="x", role=Role.DUTY, password="12345678", now=NOW)
    with pytest.raises(AccessDenied), session_of() as s, s.begin():
        actions.set_user_active(s, DUTY, username="leader", active=False, now=NOW)
    with session_of() as s, s.begin():
        actions.add_user(s, ADMIN, username="newbie", display_name="新人", role=Role.LEADER, password="long enough",
                         now=NOW)
        actions.set_user_active(s, ADMIN, username="leader", active=False, now=NOW)
    with session_of() as s:
        newbie = s.execute(select(UserRow).where(UserRow.username == "newbie")).scalar_one()
        assert newbie.role == "leader" and newbie.password_hash.startswith("$argon2")
        assert s.execute(select(UserRow.active).where(UserRow.username == "leader")).scalar_one() is False
        audit = s.execute(select(AuditRow).where(AuditRow.entity == "user")).scalars().all()
        assert {a.action for a in audit} == {"user_added", "user_deactivated"}
        assert all("argon2" not in str(a.after) for a in audit)


def test_leader_annotates_opinions(seeded: Seeded, session_of) -> None:  # type: ignore[no-untyped-def]
    with session_of() as s, s.begin():
        actions.annotate(s, LEADER, subject="case:1", opinions={"总体评价": "回应及时"}, now=NOW, case_id=1)
    with session_of() as s:
        assert actions.latest_opinions(s, "case:1") == {"总体评价": "回应及时"}
    with pytest.raises(AccessDenied), session_of() as s, s.begin():
        actions.annotate(s, SignedInUser("a", "a", Role.ADMIN), subject="case:1", opinions={"x": "y"}, now=NOW)


def test_unit_bound_user_cannot_act_on_other_units_case(seeded: Seeded, session_of) -> None:  # type: ignore[no-untyped-def]
    bound = SignedInUser("duty_qu", "区值班员", Role.DUTY, ("shifan_qu",), 4)
    with pytest.raises(AccessDenied), session_of() as s, s.begin():
        actions.acknowledge(s, bound, seeded.case_ids["other"], NOW)  # belongs to shifan_shi
    with session_of() as s, s.begin():
        assert actions.acknowledge(s, bound, seeded.case_ids["major"], NOW).case is not None
