"""Every page and role through Streamlit's AppTest on a seeded SQLite database."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from dashboard.auth import SESSION_USER_KEY, Role
from storage.models import AuditRow, ClockRow, ResponseRow
from tests.dashboard.conftest import AppFactory
from tests.dashboard.seed import HOSTILE_TITLE, PASSWORD, Seeded

PAGES = ("duty", "case", "stats", "reports")


def _submit(at: AppTest, label: str) -> None:
    button = next(b for b in at.get("form_submit_button") if b.label == label)
    button.click()
    at.run()


def _sign_in(at: AppTest, username: str, password: str) -> None:
    at.text_input(key="signin_username").input(username)
    at.text_input(key="signin_password").input(password)
    _submit(at, "登录 / Sign in")


def _all_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [e.value for e in at.info]
    parts += [t.value for t in at.title] + [s.value for s in at.subheader] + [w.value for w in at.warning]
    return "\n".join(str(p) for p in parts)


def test_sign_in_rejects_wrong_password(app: AppFactory) -> None:
    at = app()
    at.run()
    _sign_in(at, "duty", "wrong password")
    assert SESSION_USER_KEY not in at.session_state
    assert any("用户名或密码错误" in e.value for e in at.error)


def test_sign_in_rejects_inactive_user_and_unknown_user(app: AppFactory) -> None:
    for username in ("gone", "nobody"):
        at = app()
        at.run()
        _sign_in(at, username, PASSWORD)
        assert SESSION_USER_KEY not in at.session_state


def test_sign_in_with_right_password_opens_duty_board(app: AppFactory) -> None:
    at = app()
    at.run()
    _sign_in(at, "duty", PASSWORD)
    assert not at.exception
    user = at.session_state[SESSION_USER_KEY]
    assert user.username == "duty" and user.role is Role.DUTY
    assert [t.value for t in at.title] == ["值班台"]


@pytest.mark.parametrize("page", [*PAGES, "admin"])
def test_pages_ask_for_sign_in_and_show_no_data(app: AppFactory, page: str) -> None:
    at = app(None, page)
    at.run()
    assert not at.exception
    assert at.text_input(key="signin_username") is not None
    assert not at.dataframe


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("page", PAGES)
def test_every_view_page_renders_for_every_role(app: AppFactory, page: str, role: Role) -> None:
    at = app(role, page, query={"id": "1"})
    at.run()
    assert not at.exception, at.exception
    assert at.dataframe, f"{page} shows no table for {role}"


def test_duty_board_shows_grades_countdowns_and_breaches(app: AppFactory, seeded: Seeded) -> None:
    at = app(Role.DUTY, "duty")
    at.run()
    df = at.dataframe[0].value
    assert list(df["处置单"]) == [seeded.case_ids["hostile"], seeded.case_ids["major"], seeded.case_ids["other"]]
    assert set(df["等级"]) == {"一般（Ⅳ级·蓝）", "重大（Ⅱ级·橙）", "未定级"}
    assert df.iloc[0]["提醒"] == "已超时" and df.iloc[0]["倒计时"].startswith("已超时")
    assert df.iloc[1]["提醒"] == "已超时"  # the 1 h clock counts from when the accident occurred
    assert df.iloc[2]["倒计时"].startswith("剩余") and df.iloc[2]["提醒"] == "计时中"
    assert any("已超过回应时限" in e.value for e in at.error)
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["在办处置单"], metrics["已超时"]) == ("3", "2")


def test_unit_bound_user_sees_only_their_unit(app: AppFactory) -> None:
    from dashboard.auth import SignedInUser

    at = app(user=SignedInUser("duty_qu", "区值班员", Role.DUTY, ("shifan_qu",), 4), page="duty")
    at.run()
    assert set(at.dataframe[0].value["单位"]) == {"示例区应急管理局"}


def test_hostile_title_is_rendered_inert(app: AppFactory, seeded: Seeded) -> None:
    at = app(Role.DUTY, "case", query={"id": str(seeded.case_ids["hostile"])})
    at.run()
    assert not at.exception
    header = at.subheader[0].value
    assert "<script>" not in header and "\\<script\\>" in header
    assert "](http" not in header and "\\]\\(http" in header
    assert ":red[" not in header
    for element in at.markdown:
        assert not element.proto.allow_html, "no markdown may allow HTML"
        assert "<script>" not in element.value
    # On the board the title is a dataframe cell: data, never markup.
    board = app(Role.DUTY, "duty")
    board.run()
    assert HOSTILE_TITLE in list(board.dataframe[0].value["标题"])
    for element in board.markdown:
        assert not element.proto.allow_html


def test_leader_sees_case_but_cannot_submit_response(app: AppFactory, seeded: Seeded) -> None:
    at = app(Role.LEADER, "case", query={"id": str(seeded.case_ids["major"])})
    at.run()
    assert not at.exception
    labels = [b.label for b in at.get("form_submit_button")] + [b.label for b in at.button]
    assert "提交回应" not in labels and "确认处置（待确认 → 处置中）" not in labels
    assert any("只能查看" in i.value for i in at.info)


def test_duty_records_response_through_the_form(app: AppFactory, seeded: Seeded, session_of) -> None:  # type: ignore[no-untyped-def]
    case_id = seeded.case_ids["major"]
    with session_of() as s:
        before = s.execute(select(AuditRow.id).order_by(AuditRow.id.desc()).limit(1)).scalar_one()
    at = app(Role.DUTY, "case", query={"id": str(case_id)})
    at.run()
    at.selectbox(key="resp_method").select("发布权威信息")
    at.selectbox(key="resp_channel").select("政务微博")
    at.text_input(key="resp_link").input("https://weibo.example/gov/1")
    at.text_area(key="resp_text").input("关于交通事故的情况通报")
    _submit(at, "提交回应")
    assert not at.exception
    assert any("满足时限" in s.value for s in at.success)
    with session_of() as s:
        response = s.execute(select(ResponseRow).where(ResponseRow.case_id == case_id)).scalar_one()
        assert response.link == "https://weibo.example/gov/1"
        met = s.execute(select(ClockRow).where(ClockRow.case_id == case_id, ClockRow.met_at.is_not(None))).scalars()
        assert [c.kind for c in met] == ["发布事实信息"]
        new = s.execute(select(AuditRow).where(AuditRow.id > before)).scalars().all()
        assert {a.actor for a in new} == {"duty"}
        actions_written = {a.action for a in new}
        assert "response_recorded" in actions_written and actions_written & {"clock_met", "clock_met_late"}


def test_duty_cannot_open_admin_page(app: AppFactory) -> None:
    at = app(Role.DUTY, "admin")
    at.run()
    assert any("无权访问" in e.value for e in at.error)
    assert not at.dataframe and not at.get("form_submit_button")


def test_leader_cannot_open_admin_page(app: AppFactory) -> None:
    at = app(Role.LEADER, "admin")
    at.run()
    assert any("无权访问" in e.value for e in at.error)


def test_admin_page_shows_sources_units_plans_users(app: AppFactory) -> None:
    at = app(Role.ADMIN, "admin")
    at.run()
    assert not at.exception
    frames = [d.value for d in at.dataframe]
    sources = frames[0]
    assert list(sources["信息源"]) == ["示例新闻网", "示例微博"]  # failing first
    assert sources.iloc[0]["连续失败"] == 4 and "异常" in sources.iloc[0]["状态"]
    assert any("unit_default" in " ".join(map(str, f.get("预案", []))) for f in frames)
    assert any("用户名" in f.columns for f in frames)
    assert any("依据" in f.columns for f in frames)  # plan rules with citations


def test_admin_page_shows_plan_validation_errors(app: AppFactory, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad_plan.toml"
    bad.write_text('[plan.broken]\nname = "坏预案"\ncitation = "x"\n[[plan.broken.rules."重大"]]\nkind = "回应"\n'
                   'limit = -1\nunit = "hours"\nbasis = "discovered"\nmet_by = ["澄清"]\ncitation = "c"\n',
                   encoding="utf-8")
    monkeypatch.setenv("YUQING_PLAN_PATHS", str(bad))
    at = app(Role.ADMIN, "admin")
    at.run()
    assert any("预案文件校验失败" in e.value for e in at.error)
    assert any("bad_plan.toml" in c.value for c in at.code)


def test_admin_adds_user_who_can_then_sign_in(app: AppFactory) -> None:
    at = app(Role.ADMIN, "admin")
    at.run()
    at.text_input(key="new_username").input("xiaowang")
    at.text_input(key="new_display").input("小王")
    at.selectbox(key="new_role").select("值班员")
    at.text_input(key="new_password").input("新密码 12345")
    _submit(at, "添加")
    assert not at.exception
    assert any("已添加用户 xiaowang" in s.value for s in at.success)
    fresh = app()
    fresh.run()
    _sign_in(fresh, "xiaowang", "新密码 12345")
    assert fresh.session_state[SESSION_USER_KEY].username == "xiaowang"


def test_deactivated_user_loses_access_on_next_run(app: AppFactory, session_of) -> None:  # type: ignore[no-untyped-def]
    from dashboard import actions
    from tests.dashboard.conftest import USER_OF_ROLE
    from tests.dashboard.seed import NOW

    at = app(Role.LEADER, "duty")
    at.run()
    assert at.dataframe
    with session_of() as s, s.begin():
        actions.set_user_active(s, USER_OF_ROLE[Role.ADMIN], username="leader", active=False, now=NOW)
    at.run()
    assert SESSION_USER_KEY not in at.session_state
    assert not at.dataframe


def test_stats_page_tables_and_downloads(app: AppFactory) -> None:
    at = app(Role.LEADER, "stats")
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["处置单"] == "3"
    columns = [set(d.value.columns) for d in at.dataframe]
    assert {"时限", "按时完成", "超时完成", "超时未完成", "曾超时"} <= set().union(*columns)
    assert any("打开" in c for c in columns)  # breaches with links to the case page
    assert len(at.get("download_button")) >= 8


def test_reports_page_leader_saves_opinions(app: AppFactory, seeded: Seeded, session_of) -> None:  # type: ignore[no-untyped-def]
    at = app(Role.LEADER, "reports")
    at.run()
    assert not at.exception
    assert len(at.get("download_button")) == 2
    case_id = at.selectbox(key="report_case").value
    at.text_area(key=f"op_case:{case_id}_总体评价").input("回应基本及时。")
    _submit(at, "保存评估意见")
    assert any("评估意见已保存" in s.value for s in at.success)
    with session_of() as s:
        entry = s.execute(select(AuditRow).where(AuditRow.action == "review_annotated")).scalar_one()
        assert entry.actor == "leader" and entry.after == {"opinions": {"总体评价": "回应基本及时。"}}


def test_reports_page_period_mode(app: AppFactory) -> None:
    at = app(Role.DUTY, "reports")
    at.run()
    at.radio(key="report_mode").set_value("时间段")
    at.run()
    assert not at.exception
    assert len(at.get("download_button")) == 2


def test_hostile_title_inert_on_reports_page(app: AppFactory, seeded: Seeded) -> None:
    at = app(Role.DUTY, "reports")
    at.run()
    at.selectbox(key="report_case").set_value(seeded.case_ids["hostile"])
    at.run()
    assert not at.exception
    labels = [e.label for e in at.expander] + [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert labels
    for text in labels:
        assert "<script>" not in text and "](http" not in text and "://" not in text
    for element in at.markdown:
        assert not element.proto.allow_html


def test_missing_database_url_and_empty_database_say_what_to_do(
    monkeypatch: pytest.MonkeyPatch, empty_sqlite_url: str
) -> None:
    from tests.dashboard.conftest import APP

    monkeypatch.delenv("YUQING_DATABASE_URL", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert any("YUQING_DATABASE_URL" in e.value.replace("\\", "") for e in at.error)
    monkeypatch.setenv("YUQING_DATABASE_URL", empty_sqlite_url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert any("yuqing init" in e.value.replace("\\", "") for e in at.error)
    assert not at.text_input


def test_duty_acknowledges_then_close_is_refused_with_reason(app: AppFactory, seeded: Seeded) -> None:
    at = app(Role.DUTY, "case", query={"id": str(seeded.case_ids["major"])})
    at.run()
    at.button(key="act_ack").click()
    at.run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["状态"] == "处置中"
    assert any("已确认" in s.value for s in at.success)
    at.button(key="act_close").click()
    at.run()
    assert any("办结失败" in e.value and "时限未满足" in e.value for e in at.error)


def test_duty_dismisses_as_false_positive_through_the_form(app: AppFactory, seeded: Seeded, session_of) -> None:  # type: ignore[no-untyped-def]
    from storage.models import LabelRow

    at = app(Role.DUTY, "case", query={"id": str(seeded.case_ids["other"])})
    at.run()
    at.radio(key="dismiss_kind").set_value("误报")
    at.text_input(key="dismiss_reason").input("与本单位无关的转载")
    _submit(at, "撤销")
    assert {m.label: m.value for m in at.metric}["状态"] == "误报/无需回应"
    with session_of() as s:
        assert s.execute(select(LabelRow.value)).scalar_one() == "误报"


def test_sign_out_forgets_the_session(app: AppFactory) -> None:
    at = app(Role.DUTY)
    at.run()
    at.sidebar.button(key="signout").click()
    at.run()
    assert SESSION_USER_KEY not in at.session_state
    assert at.text_input(key="signin_username") is not None


def test_undelivered_notices_on_the_duty_board_and_the_case_page(app: AppFactory, seeded: Seeded, session_of) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from responder.types import Notice, NoticeKind
    from storage.repositories.notices import NoticeRepository
    from tests.dashboard.seed import NOW

    case_id = seeded.case_ids["major"]

    def notice(key: str, title: str) -> Notice:
        return Notice(key=key, kind=NoticeKind.WARNING, case_id=case_id, clock_id=None, unit_id="shifan_qu",
                      title=title, body=title, due_at=NOW, created_for=NOW)

    with session_of() as s, s.begin():
        repo = NoticeRepository(s)
        repo.claim(notice("w-sent", "【预警】已送达的提醒"), NOW - timedelta(hours=2))
        repo.mark_sent("w-sent", NOW - timedelta(hours=2))
        repo.claim(notice("w-failed", "【预警】钉钉发送失败的提醒"), NOW - timedelta(hours=1))
        repo.mark_failed("w-failed", "HTTP 502 from webhook", NOW - timedelta(hours=1))
        repo.claim(notice("w-cut", "【超时】发送途中系统停止的提醒"), NOW - timedelta(minutes=30))

    board = app(Role.DUTY, "duty")
    board.run()
    assert not board.exception
    [banner] = [w.value for w in board.warning if "未能送达" in w.value]
    assert "2 条" in banner
    listed = next(d.value for d in board.dataframe if "尝试次数" in d.value.columns)
    assert list(listed["状态"]) == ["状态未知", "发送失败"] and "HTTP 502" in listed.iloc[1]["错误"]

    page = app(Role.DUTY, "case", query={"id": str(case_id)})
    page.run()
    assert not page.exception
    table = next(d.value for d in page.dataframe if "送达" in d.value.columns)
    assert dict(zip(table["提醒"], table["送达"], strict=True)) == {
        "【预警】已送达的提醒": "已发送", "【预警】钉钉发送失败的提醒": "发送失败", "【超时】发送途中系统停止的提醒": "状态未知",
    }
    assert any("未能送达" in w.value for w in page.warning)


def test_duty_merges_a_duplicate_into_the_earlier_case(app: AppFactory, seeded: Seeded, session_of) -> None:  # type: ignore[no-untyped-def]
    from storage.repositories.cases import CaseRepository
    from storage.repositories.items import ItemRepository

    later, earlier = seeded.case_ids["major"], seeded.case_ids["hostile"]
    with session_of() as s:
        before = CaseRepository(s).get(later)
        moving = len(ItemRepository(s).for_event(before.event_id))
        kept = len(ItemRepository(s).for_event(CaseRepository(s).get(earlier).event_id))
    # The earlier case offers nothing to fold into: a case only folds into one opened before it.
    first = app(Role.DUTY, "case", query={"id": str(earlier)})
    first.run()
    assert not first.exception and not [s for s in first.get("selectbox") if s.key == "merge_into"]
    assert any("没有更早开启" in c.value for c in first.caption)

    at = app(Role.DUTY, "case", query={"id": str(later)})
    at.run()
    picker = at.selectbox(key="merge_into")
    assert picker.options and picker.options[0].startswith(f"#{earlier} ")
    picker.select_index(0)
    _submit(at, "并入")
    assert not at.exception
    assert any(f"已作为重复并入处置单 #{earlier}" in s.value for s in at.success)
    with session_of() as s:
        merged = CaseRepository(s).get(later)
        survivor = CaseRepository(s).get(earlier)
        assert merged.state.value == "误报/无需回应" and merged.dismiss_reason == f"重复：已并入处置单 #{earlier}"
        assert len(ItemRepository(s).for_event(survivor.event_id)) == kept + moving
        actors = {a.actor for a in s.execute(select(AuditRow).where(AuditRow.case_id == later)).scalars()
                  if a.action == "case_dismissed"}
        assert actors == {"duty"}
