"""值班台 (duty board): open cases across the user's units, most urgent first, refreshing by itself."""

from __future__ import annotations

from datetime import datetime, timedelta

import streamlit as st

from classifier.types import Grade
from dashboard import auth, data, runtime, views
from dashboard.auth import Permission
from dashboard.text import fmt_local, md_escape

REFRESH_SECONDS = 5
SEEN_KEY = "duty_seen_case_ids"
PERIODS = {"全部": None, "最近24小时": timedelta(hours=24), "最近7天": timedelta(days=7), "最近30天": timedelta(days=30)}

user = auth.require_role(permission=Permission.VIEW)
db = runtime.database_key()

st.title("值班台")
st.caption("在办处置单，最紧急的在前；每 5 秒自动刷新。/ Open cases, most urgent first; refreshes every 5 s.")

unit_options = views.allowed_units(user, db)
source_options = views.source_names(db)
with st.expander("筛选 / Filters", expanded=False):
    c1, c2, c3 = st.columns(3)
    chosen_units = c1.multiselect(
        "单位", list(unit_options), format_func=lambda u: unit_options.get(u, u), key="duty_units"
    )
    chosen_grades = c2.multiselect("等级", [g.value for g in Grade], key="duty_grades")
    chosen_states = c3.multiselect("状态", list(data.OPEN_STATES), key="duty_states")
    c4, c5 = st.columns(2)
    chosen_sources = c4.multiselect(
        "来源", list(source_options), format_func=lambda s: source_options.get(s, s), key="duty_sources"
    )
    period = c5.selectbox("立单时间", list(PERIODS), key="duty_period")


@st.cache_data(ttl=3, show_spinner=False)
def _board(
    db: str,
    units: tuple[str, ...],
    grades: tuple[str, ...],
    states: tuple[str, ...],
    sources: tuple[str, ...],
    since_minute: str | None,
) -> tuple[tuple[data.BoardRow, ...], int]:
    flt = data.BoardFilter(
        units=units, grades=grades, states=states or data.OPEN_STATES, sources=sources,
        opened_from=datetime.fromisoformat(since_minute) if since_minute else None,
    )
    with runtime.read_session() as session:
        return data.duty_board(session, flt)


@st.cache_data(ttl=3, show_spinner=False)
def _undelivered(db: str, units: tuple[str, ...], minute: str) -> tuple[data.NoticeInfo, ...]:
    with runtime.read_session() as session:
        return data.undelivered_notices(session, datetime.fromisoformat(minute), units)


def undelivered_warning(units: tuple[str, ...], now: datetime) -> None:
    """Warnings that reached no one: the duty officer has to pass them on by phone."""
    notices = _undelivered(db, units, now.replace(second=0, microsecond=0).isoformat())
    if not notices:
        return
    st.warning(
        f"最近24小时有 {len(notices)} 条时限提醒未能送达（通知渠道故障，或系统在发送途中停止），"
        "请电话通知相关单位，并检查通知设置。"
    )
    with st.expander("未送达的提醒 / Undelivered notices"):
        rows = [
            {
                "时间（北京时间）": fmt_local(n.created_at),
                "处置单": n.case_id,
                "提醒": n.title,
                "状态": n.delivery,
                "尝试次数": n.attempts,
                "错误": n.last_error,
            }
            for n in notices
        ]
        st.dataframe(views.frame(rows), hide_index=True, width="stretch", key="undelivered_table")


@st.fragment(run_every=REFRESH_SECONDS)
def board() -> None:
    """Re-rendered every few seconds: countdowns move and new cases appear without a page reload."""
    now = runtime.now()
    span = PERIODS.get(period or "全部")
    since = (now - span).replace(second=0, microsecond=0).isoformat() if span else None
    # A user bound to units never sees other units, whatever the filter says.
    units = tuple(chosen_units) or tuple(user.units)
    rows, total = _board(db, units, tuple(chosen_grades), tuple(chosen_states), tuple(chosen_sources), since)
    table = views.board_rows(rows, views.unit_names(db), now)

    breached = sum(1 for r in table if r["提醒"] == views.URGENCY_LABEL["breached"])
    warning = sum(1 for r in table if r["提醒"] == views.URGENCY_LABEL["warning"])
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("在办处置单", total)
    m2.metric("已超时", breached)
    m3.metric("临近截止", warning)
    m4.metric("更新时间（北京时间）", fmt_local(now, seconds=True)[11:])

    seen: set[int] | None = st.session_state.get(SEEN_KEY)
    current = {r.case_id for r in rows}
    if seen is not None:
        for row in rows:
            if row.case_id not in seen:
                st.toast(f"新处置单 #{row.case_id}：{md_escape(row.title)[:80]}")
    st.session_state[SEEN_KEY] = current | (seen or set())

    if breached:
        st.error(f"有 {breached} 个处置单已超过回应时限，请立即处置！")
    undelivered_warning(units, now)
    if not table:
        st.info("当前没有在办处置单。/ No open cases.")
        return
    if total > len(rows):
        st.caption(f"显示最紧急的 {len(rows)} 个，共 {total} 个。")
    df = views.frame(table)
    event = st.dataframe(
        views.styled(df, grade_col="等级", urgency_col="提醒"),
        hide_index=True,
        width="stretch",
        column_config=views.link_config(),
        on_select="rerun",
        selection_mode="single-row",
        key="duty_table",
    )
    selected = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if selected:
        case_id = int(df.iloc[selected[0]]["处置单"])
        st.session_state["case_id"] = case_id
        st.switch_page("app_pages/case.py", query_params={"id": str(case_id)})


board()
