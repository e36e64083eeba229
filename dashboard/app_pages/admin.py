"""管理 (administration, 管理员 only): sources with health, units and profiles, plans (read-only), users."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import actions, auth, data, runtime, views
from dashboard.auth import Permission, Role
from dashboard.errors import AccessDenied, ActionError
from dashboard.report import BASIS_LABEL
from dashboard.text import fmt_local, md_escape
from responder.plans import plan_to_dict

user = auth.require_role(Role.ADMIN, permission=Permission.ADMIN)
db = runtime.database_key()
now = runtime.now()

st.title("管理")
tab_sources, tab_units, tab_plans, tab_users = st.tabs(["信息源", "单位", "预案", "用户"])

HEALTH_LABEL = {"ok": "正常", "failing": "异常", "dead": "失效"}

with tab_sources:
    with runtime.read_session() as session:
        sources = data.sources_health(session)
    rows = [
        {
            "信息源": s.name,
            "编号": s.id,
            "类型": s.kind,
            "状态": HEALTH_LABEL.get(s.health.value, s.health.value) + ("（已停用）" if not s.enabled or s.removed else ""),
            "最近成功（北京时间）": fmt_local(s.last_success_at),
            "最近失败（北京时间）": fmt_local(s.last_failure_at),
            "连续失败": s.consecutive_failures,
            "下次抓取（北京时间）": fmt_local(s.next_poll_at),
            "最近错误": s.last_error or "",
            "地址": s.url,
        }
        for s in sources
    ]
    failing = sum(1 for s in sources if s.health.value != "ok")
    if failing:
        st.warning(f"{failing} 个信息源状态异常。")
    df = views.frame(rows)
    st.dataframe(df, hide_index=True, width="stretch", key="admin_sources")
    if rows:
        views.downloads("信息源", df, key="dl_sources")

with tab_units:
    with runtime.read_session() as session:
        unit_list = data.units(session)
    st.dataframe(
        views.frame([
            {"编号": u.id, "名称": u.name, "类型": u.kind, "辖区": u.jurisdiction, "预案": u.plan_id,
             "状态": "已移除" if u.removed else "在用"}
            for u in unit_list
        ]),
        hide_index=True, width="stretch", key="admin_units",
    )
    if unit_list:
        picked = st.selectbox("查看单位档案", [u.id for u in unit_list],
                              format_func=lambda uid: next(u.name for u in unit_list if u.id == uid), key="admin_unit")
        profile = next(u for u in unit_list if u.id == picked).profile
        st.json(profile, expanded=True)  # rendered as data, never as markup
    st.caption("单位与信息源由配置文件维护（yuqing.toml），修改后由服务同步。")

with tab_plans:
    plans, error = runtime.plans()
    if error:
        st.error("预案文件校验失败 / plan validation failed:")
        st.code(error, language=None)
    if not plans:
        st.info("没有可用的预案。")
    for plan in plans.values():
        with st.expander(md_escape(f"{plan.name}（{plan.id}）"), expanded=False):
            st.text(f"依据：{plan.citation}")
            st.text(f"版本：{plan.version}" + (f"；继承：{plan.extends}" if plan.extends else ""))
            rule_rows: list[dict[str, Any]] = []
            for trigger, rules in plan.rules.items():
                for rule in rules:
                    rule_rows.append(
                        {
                            "触发": trigger.value,
                            "时限": rule.kind.value,
                            "期限": f"{rule.limit:g} {'个工作日' if rule.unit.value == 'working_days' else '小时'}",
                            "起算": BASIS_LABEL.get(rule.basis.value, rule.basis.value),
                            "条件": "造成重大人员伤亡或社会影响较大" if rule.condition.value != "always" else "—",
                            "持续发布": "是" if rule.repeats else "否",
                            "满足方式": "、".join(m.value for m in rule.met_by),
                            "依据": rule.citation,
                        }
                    )
            st.dataframe(views.frame(rule_rows), hide_index=True, width="stretch", key=f"plan_{plan.id}")
            with st.popover("原始数据"):
                st.json(plan_to_dict(plan), expanded=False)
    st.caption("预案为只读：修改预案文件并经校验后由服务加载。")

with tab_users:
    with runtime.read_session() as session:
        user_list = data.users(session)
    st.dataframe(
        views.frame([
            {"用户名": u.username, "姓名": u.display_name, "角色": Role.parse(u.role).value if u.role else "",
             "单位": "、".join(u.units) or "全部", "状态": "启用" if u.active else "停用", "创建（北京时间）": fmt_local(u.created_at)}
            for u in user_list
        ]),
        hide_index=True, width="stretch", key="admin_users",
    )
    flash = st.session_state.pop("admin_flash", None)
    if flash:
        st.success(flash)

    def _apply(label: str, func: Any, **kwargs: Any) -> None:
        try:
            with runtime.write_session() as session:
                result = func(session, user, now=runtime.now(), **kwargs)
        except (ActionError, AccessDenied) as exc:
            st.error(f"{label}失败：{md_escape(str(exc))}")
            return
        st.session_state["admin_flash"] = result.message
        st.rerun()

    st.markdown("##### 添加用户")
    unit_names = views.unit_names(db)
    with st.form("add_user_form", clear_on_submit=True):
        a1, a2, a3 = st.columns(3)
        username = a1.text_input("用户名", key="new_username")
        display = a2.text_input("姓名", key="new_display")
        role = a3.selectbox("角色", [r.value for r in Role], key="new_role")
        units = st.multiselect("负责单位（不选为全部）", list(unit_names), format_func=lambda u: unit_names.get(u, u),
                               key="new_units")
        password = st.text_input("初始密码（至少 8 位）", type="password", key="new_password")
        if st.form_submit_button("添加", type="primary"):
            _apply("添加用户", actions.add_user, username=username, display_name=display, role=Role(role),
                   password=password, units=units)

    st.markdown("##### 停用 / 启用用户")
    with st.form("user_active_form"):
        target = st.selectbox("用户", [u.username for u in user_list], key="active_user")
        enable = st.radio("操作", ["停用", "启用"], horizontal=True, key="active_action")
        if st.form_submit_button("执行") and target:
            _apply("修改用户状态", actions.set_user_active, username=target, active=enable == "启用")
