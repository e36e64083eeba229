"""处置单 (case page): items and spread, assessment, clocks, audit timeline, and the actions a role may take."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import altair as alt
import streamlit as st

from classifier.types import Grade
from dashboard import actions, auth, data, runtime, views
from dashboard.auth import Permission
from dashboard.errors import AccessDenied, ActionError
from dashboard.report import ACTION_LABEL, BASIS_LABEL, CLOCK_STATE_LABEL, figures_rows
from dashboard.text import SHANGHAI, countdown, fmt_local, grade_label, md_escape
from responder.types import Channel, ClockState, ResponseMethod

user = auth.require_role(permission=Permission.VIEW)
db = runtime.database_key()
now = runtime.now()

st.title("处置单")

raw_id = st.query_params.get("id") or st.session_state.get("case_id")
names = views.allowed_units(user, db)
with runtime.read_session() as session:
    choices = data.case_choices(session, tuple(user.units))
labels = {cid: label for cid, label in choices}
case_id: int | None = None
try:
    case_id = int(raw_id) if raw_id is not None else None
except (TypeError, ValueError):
    case_id = None
options = list(labels)
if case_id is not None and case_id not in labels:
    options.insert(0, case_id)
picked = st.selectbox(
    "选择处置单", options, index=options.index(case_id) if case_id in options else 0 if options else None,
    format_func=lambda cid: labels.get(cid, f"#{cid}"), key="case_picker",
)
if picked is None:
    st.info("暂无处置单。")
    st.stop()
case_id = int(picked)
st.session_state["case_id"] = case_id
if st.query_params.get("id") != str(case_id):
    st.query_params["id"] = str(case_id)

with runtime.read_session() as session:
    detail = data.case_detail(session, case_id)
if detail is None:
    st.error(f"处置单 #{case_id} 不存在。")
    st.stop()
case = detail.case
if user.units and case.unit_id not in user.units:
    st.error("该处置单不属于您负责的单位。/ This case belongs to another unit.")
    st.stop()

# Header: every untrusted string goes through md_escape or a dataframe cell.
st.subheader(f"#{case.id} {md_escape(case.title) or '（无标题）'}")
h1, h2, h3 = st.columns([1, 1, 2])
h1.metric("等级", case.grade.value if case.grade else "未定级", help=grade_label(case.grade))
h2.metric("状态", case.state.value)
h3.markdown(
    f"**责任单位**：{md_escape(detail.unit_name)}  \n**立单（北京时间）**：{fmt_local(case.opened_at)}  \n"
    f"**预案**：{md_escape(case.plan_id)}　**等级**：{grade_label(case.grade)}"
)
if case.dismiss_reason:
    views.untrusted("撤销理由", case.dismiss_reason)

live = [c for c in case.clocks if c.state in (ClockState.RUNNING, ClockState.BREACHED)]
overdue = [c for c in live if c.due_at <= now]
if overdue:
    st.error("已超时：" + "、".join(f"{c.kind.value}（截止 {fmt_local(c.due_at)}）" for c in overdue))
elif live:
    first = min(live, key=lambda c: c.due_at)
    st.warning(f"最近时限：{first.kind.value}，截止 {fmt_local(first.due_at)}（北京时间），{countdown(first.due_at, now)}")

flash = st.session_state.pop("case_flash", None)
if flash:
    # Above the tabs: after the rerun the first tab is selected again, and the outcome must be seen.
    st.success(flash)

tab_clocks, tab_items, tab_assess, tab_audit, tab_act = st.tabs(["时限", "条目与传播", "研判", "审计时间线", "处置操作"])

with tab_clocks:
    rows: list[dict[str, Any]] = []
    for c in case.clocks:
        state = c.state.value
        if c.state is ClockState.RUNNING and c.due_at <= now:
            state = ClockState.BREACHED.value
        rows.append(
            {
                "时限": c.kind.value,
                "状态": CLOCK_STATE_LABEL.get(state, state),
                "倒计时": countdown(c.due_at, now) if c.state in (ClockState.RUNNING, ClockState.BREACHED) else "—",
                "起算": BASIS_LABEL.get(c.basis.value, c.basis.value),
                "开始（北京时间）": fmt_local(c.started_at),
                "截止（北京时间）": fmt_local(c.due_at),
                "完成（北京时间）": fmt_local(c.met_at),
                "期限": f"{c.limit:g} {'个工作日' if c.unit.value == 'working_days' else '小时'}",
                "触发": c.trigger.value,
                "预案": c.plan_id,
                "依据": c.citation,
            }
        )
    if rows:
        st.dataframe(views.frame(rows), hide_index=True, width="stretch", key="clock_table")
    else:
        st.info("该处置单不启动任何时限。")
    st.markdown("**回应记录**")
    resp_rows = [
        {
            "回应时间（北京时间）": fmt_local(r.responded_at),
            "方式": r.method.value,
            "渠道": r.channel.value,
            "经办人": r.actor,
            "链接": views.vetted(r.link),
            "链接原文": r.link,
            "内容": r.text,
        }
        for r in case.responses
    ]
    if resp_rows:
        st.dataframe(views.frame(resp_rows), hide_index=True, width="stretch",
                     column_config=views.external_link_config("链接"), key="response_table")
    else:
        st.caption("尚无回应。")
    st.markdown("**提醒记录**")
    with runtime.read_session() as session:
        notices = data.case_notices(session, case.id or 0, now)
    if notices:
        st.dataframe(
            views.frame([
                {
                    "时间（北京时间）": fmt_local(n.created_at),
                    "提醒": n.title,
                    "送达": n.delivery,
                    "尝试次数": n.attempts,
                    "错误": n.last_error,
                }
                for n in notices
            ]),
            hide_index=True, width="stretch", key="notice_table",
        )
        if any(n.delivery in ("发送失败", "状态未知") for n in notices):
            st.warning("有提醒未能送达，请电话通知相关单位。")
    else:
        st.caption("尚无提醒。")

with tab_items:
    items = detail.items
    if detail.item_total > len(items):
        st.caption(f"显示最早的 {len(items)} 条，共 {detail.item_total} 条。")
    if items:
        first_item = items[0]
        st.markdown(
            f"**首次出现**：{fmt_local(first_item.first_seen_at)}（北京时间），来源 {md_escape(first_item.source_name)}"
        )
        pd = views.pandas()
        df = pd.DataFrame(
            {"时间": [i.first_seen_at.astimezone(SHANGHAI).replace(tzinfo=None) for i in items],
             "来源": [i.source_name for i in items]}
        )
        span = df["时间"].max() - df["时间"].min()
        freq = "h" if span <= pd.Timedelta(days=3) else "D"
        spread = df.set_index("时间").groupby([pd.Grouper(freq=freq), "来源"]).size().reset_index(name="条目数")
        chart = (
            alt.Chart(spread)
            .mark_line(point=True)
            .encode(
                x=alt.X("时间:T", title="时间（北京时间）"),
                y=alt.Y("条目数:Q", title="新增条目"),
                color=alt.Color("来源:N", title="来源"),
                tooltip=["时间:T", "来源:N", "条目数:Q"],
            )
            .properties(height=260, title="传播趋势")
        )
        st.altair_chart(chart, width="stretch")
        sources = df.groupby("来源").size().reset_index(name="条目数").sort_values("条目数", ascending=False)
        st.dataframe(sources, hide_index=True, key="source_table")
        item_rows = [
            {
                "首次出现（北京时间）": fmt_local(i.first_seen_at),
                "来源": i.source_name,
                "标题": i.title,
                "链接": views.vetted(i.url),
            }
            for i in items
        ]
        st.dataframe(views.frame(item_rows), hide_index=True, width="stretch",
                     column_config=views.external_link_config("链接"), key="item_table")
    else:
        st.info("该事件暂无条目。")

with tab_assess:
    a = detail.assessment
    if a is None:
        st.info("暂无研判记录。")
    else:
        views.untrusted("定级依据", a.basis)
        st.markdown(
            f"**研判等级**：{grade_label(a.grade)}　**类别**：{md_escape(a.category)}　"
            f"**相关度**：{a.score if a.score is not None else '—'}　**负面度**：{a.negative:.2f}　"
            f"**需回应**：{'是' if a.needs_response else '否'}　**重大伤亡/影响较大**：{'是' if a.heavy_casualties else '否'}"
        )
        figures = figures_rows(a.figures)
        if figures:
            st.dataframe(views.frame([{"项目": k, "数值": v} for k, v in figures]), hide_index=True, key="figures")
        if a.reasons:
            st.dataframe(views.frame([{"研判理由": r} for r in a.reasons]), hide_index=True, key="reasons")
        st.caption(f"模型版本 {md_escape(a.model_version)}，研判时间 {fmt_local(a.assessed_at)}")

with tab_audit:
    audit_rows = [
        {
            "时间（北京时间）": fmt_local(e.at, seconds=True),
            "操作人": e.actor,
            "事项": ACTION_LABEL.get(e.action, e.action),
            "对象": f"{e.entity}:{e.entity_id}",
            "变更前": "" if e.before is None else str(e.before),
            "变更后": "" if e.after is None else str(e.after),
        }
        for e in detail.audit
    ]
    if audit_rows:
        st.dataframe(views.frame(audit_rows), hide_index=True, width="stretch", key="audit_table")
    else:
        st.caption("暂无审计记录。")


def _run(label: str, func: Any, **kwargs: Any) -> None:
    """Apply one action in one transaction; show the outcome; rerun so every panel shows the new state."""
    try:
        with runtime.write_session() as session:
            result = func(session, user, case_id, now=runtime.now(), **kwargs)
    except (ActionError, AccessDenied) as exc:
        st.error(f"{label}失败：{md_escape(str(exc))}")
        return
    st.session_state["case_flash"] = result.message
    st.cache_data.clear()
    st.rerun()


with tab_act:
    if not user.can(Permission.ACT):
        st.info(
            f"当前角色「{user.role.value}」只能查看处置单，不能操作。"
            + ("可在「评估报告」页填写评估意见。" if user.can(Permission.ANNOTATE) else "")
        )
    else:
        c1, c2 = st.columns(2)
        if c1.button("确认处置（待确认 → 处置中）", key="act_ack", disabled=case.state.value != "待确认"):
            _run("确认", lambda s, u, cid, now: actions.acknowledge(s, u, cid, now))
        if c2.button("办结", key="act_close", disabled=case.state.value not in ("处置中", "已回应")):
            _run("办结", lambda s, u, cid, now: actions.close(s, u, cid, now))

        st.markdown("##### 登记回应")
        local_now = now.astimezone(SHANGHAI)
        with st.form("respond_form", clear_on_submit=True):
            r1, r2 = st.columns(2)
            method = r1.selectbox("回应方式", [m.value for m in ResponseMethod], key="resp_method")
            channel = r2.selectbox("发布渠道", [c.value for c in Channel], key="resp_channel")
            link = st.text_input("链接", key="resp_link", placeholder="https://")
            text = st.text_area("回应内容", key="resp_text")
            r3, r4, r5 = st.columns(3)
            day = r3.date_input("回应日期（北京时间）", value=local_now.date(), key="resp_date")
            at = r4.time_input("回应时间（北京时间）", value=local_now.time().replace(second=0, microsecond=0),
                               key="resp_time", step=timedelta(minutes=1))
            actor = r5.text_input("经办人", value=user.display_name, key="resp_actor")
            submitted = st.form_submit_button("提交回应", type="primary")
        if submitted:
            moment = datetime.combine(day, at if isinstance(at, time) else time(0), tzinfo=SHANGHAI)
            # The form has minute precision: a response "now" must not count as in the future.
            responded_at = min(moment, now.astimezone(SHANGHAI))
            _run("登记回应", actions.respond, method=ResponseMethod(method), channel=Channel(channel),
                 responded_at=responded_at, link=link, text=text, actor=actor)

        st.markdown("##### 调整等级")
        with st.form("regrade_form"):
            grade_options = ["未定级", *[g.value for g in Grade]]
            current = case.grade.value if case.grade else "未定级"
            new_grade = st.selectbox("新等级", grade_options, index=grade_options.index(current), key="regrade_grade")
            heavy = st.checkbox("造成重大人员伤亡或社会影响较大", value=case.heavy_casualties, key="regrade_heavy")
            reason = st.text_input("理由（如：死亡人数更新为12人）", key="regrade_reason")
            if st.form_submit_button("调整等级"):
                plans, _err = runtime.plans()
                _run("调整等级", actions.regrade, grade=None if new_grade == "未定级" else Grade(new_grade),
                     heavy_casualties=heavy, reason=reason, plans=plans)

        st.markdown("##### 转办")
        with st.form("assign_form"):
            all_units = views.unit_names(db)
            targets = [u for u in all_units if u != case.unit_id]
            target = st.selectbox("转至单位", targets, format_func=lambda u: all_units.get(u, u), key="assign_unit")
            why = st.text_input("转办理由", key="assign_reason")
            if st.form_submit_button("转办") and target:
                plans, _err = runtime.plans()
                _run("转办", actions.assign, unit_id=target, reason=why, plans=plans)

        st.markdown("##### 重复：并入较早的处置单")
        with runtime.read_session() as session:
            candidates = dict(data.merge_candidates(session, case))
        if candidates:
            with st.form("merge_form"):
                into = st.selectbox("本处置单与哪一个是同一事件", list(candidates),
                                    format_func=lambda cid: candidates.get(cid, str(cid)), key="merge_into")
                st.caption("条目并入该处置单的事件（此后的转载也归入该事件），本处置单作为“重复”撤销；"
                           "时限以较早的处置单为准。")
                if st.form_submit_button("并入") and into:
                    _run("并入", actions.merge_duplicate, into_case_id=int(into))
        else:
            st.caption("本单位 30 天内没有更早开启、可以并入的处置单。")

        st.markdown("##### 撤销（误报/无需回应）")
        with st.form("dismiss_form"):
            kind = st.radio("类型", [actions.FALSE_POSITIVE, actions.NO_RESPONSE_NEEDED], horizontal=True,
                            key="dismiss_kind")
            why_dismiss = st.text_input("理由", key="dismiss_reason")
            if st.form_submit_button("撤销"):
                _run("撤销", actions.dismiss, kind=kind, reason=why_dismiss)
