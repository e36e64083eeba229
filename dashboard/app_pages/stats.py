"""统计 (timeliness statistics): cases by grade and category, clock outcomes, first-response times, trends, breaches."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import altair as alt
import streamlit as st

from classifier.types import Grade
from dashboard import auth, data, runtime, views
from dashboard.auth import Permission
from dashboard.export import XLSX_MIME, to_xlsx_bytes
from dashboard.text import GRADE_BACKGROUND, SHANGHAI, fmt_duration, fmt_local

user = auth.require_role(permission=Permission.VIEW)
db = runtime.database_key()
now = runtime.now()

st.title("统计：回应时效")

unit_options = views.allowed_units(user, db)
today = now.astimezone(SHANGHAI).date()
c1, c2 = st.columns([1, 2])
period = c1.date_input("时间段（立单日期，北京时间）", value=(today - timedelta(days=29), today), key="stats_period")
chosen = c2.multiselect("单位（不选为全部）", list(unit_options), format_func=lambda u: unit_options.get(u, u),
                        key="stats_units")
if not isinstance(period, tuple) or len(period) != 2:
    st.info("请选择开始和结束日期。")
    st.stop()
start = datetime.combine(period[0], time(0), tzinfo=SHANGHAI)
end = datetime.combine(period[1] + timedelta(days=1), time(0), tzinfo=SHANGHAI)
units = tuple(chosen) or tuple(user.units)


@st.cache_data(ttl=30, show_spinner="统计中…")
def _stats(db: str, start: datetime, end: datetime, units: tuple[str, ...], now_minute: datetime) -> data.Statistics:
    with runtime.read_session() as session:
        return data.statistics_for(session, start, end, now_minute, units)


stats = _stats(db, start, end, units, now.replace(second=0, microsecond=0))
names = views.unit_names(db)
tables: dict[str, Any] = {}


def hours_text(value: float | None) -> str:
    """Hours as a Chinese duration, '—' when unknown."""
    return fmt_duration(timedelta(hours=value)) if value is not None else "—"


m1, m2, m3, m4 = st.columns(4)
m1.metric("处置单", stats.case_total)
m2.metric("首次回应用时（中位数）", hours_text(stats.median_first_response_h))
m3.metric("首次回应用时（P90）", hours_text(stats.p90_first_response_h))
m4.metric("曾超时的时限", sum(c.ever_breached for c in stats.clocks))
st.caption("首次回应用时自条目首次出现（未知时自值班发现）起算；已失效（改级）的时限不计入。")

if stats.case_total == 0:
    st.info("该时间段内没有处置单。")
    st.stop()

# ---- cases by grade and category
left, right = st.columns(2)
grade_df = views.frame([{"等级": g, "处置单": n} for g, n in stats.by_grade], ["等级", "处置单"])
tables["按等级"] = grade_df
colour_domain = [g.value for g in Grade] + ["未定级"]
colour_range = [GRADE_BACKGROUND[g] for g in Grade] + ["#9e9e9e"]
left.altair_chart(
    alt.Chart(grade_df).mark_bar().encode(
        x=alt.X("等级:N", sort=colour_domain, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("处置单:Q", axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("等级:N", scale=alt.Scale(domain=colour_domain, range=colour_range), legend=None),
        tooltip=["等级", "处置单"],
    ).properties(title="按等级", height=260),
    width="stretch",
)
category_df = views.frame([{"类别": c, "处置单": n} for c, n in stats.by_category], ["类别", "处置单"])
tables["按类别"] = category_df
right.altair_chart(
    alt.Chart(category_df).mark_bar().encode(
        y=alt.Y("类别:N", sort="-x"), x=alt.X("处置单:Q", axis=alt.Axis(tickMinStep=1, format="d")),
        tooltip=["类别", "处置单"]
    ).properties(title="按类别", height=260),
    width="stretch",
)
with st.expander("按等级 / 类别 / 状态 明细表"):
    state_df = views.frame([{"状态": s, "处置单": n} for s, n in stats.by_state], ["状态", "处置单"])
    tables["按状态"] = state_df
    for name in ("按等级", "按类别", "按状态"):
        st.markdown(f"**{name}**")
        st.dataframe(tables[name], hide_index=True, key=f"tbl_{name}")
        views.downloads(name, tables[name], key=f"dl_{name}")

# ---- clock outcomes per kind
st.subheader("各类时限完成情况")
outcome_rows = []
for c in stats.clocks:
    outcome_rows.append(
        {
            "时限": c.kind,
            "总数": c.total,
            "按时完成": c.on_time,
            "超时完成": c.late,
            "超时未完成": c.open_past_due,
            "计时中": c.running,
            "曾超时": c.ever_breached,
            "按时率": f"{c.on_time / c.total:.1%}" if c.total else "—",
            "曾超时率": f"{c.ever_breached / c.total:.1%}" if c.total else "—",
        }
    )
outcome_df = views.frame(outcome_rows, ["时限", "总数", "按时完成", "超时完成", "超时未完成", "计时中", "曾超时", "按时率", "曾超时率"])
tables["时限完成情况"] = outcome_df
if outcome_rows:
    long = views.pandas().melt(
        outcome_df, id_vars=["时限"], value_vars=["按时完成", "超时完成", "超时未完成", "计时中"], var_name="结果",
        value_name="数量",
    )
    st.altair_chart(
        alt.Chart(long).mark_bar().encode(
            y=alt.Y("时限:N", title=None), x=alt.X("数量:Q", stack="normalize", title="占比"),
            color=alt.Color(
                "结果:N",
                scale=alt.Scale(domain=["按时完成", "超时完成", "超时未完成", "计时中"],
                                range=["#2e7d32", "#f9a825", "#c62828", "#90a4ae"]),
            ),
            tooltip=["时限", "结果", "数量"],
        ).properties(height=40 + 40 * len(outcome_rows)),
        width="stretch",
    )
st.dataframe(outcome_df, hide_index=True, width="stretch", key="tbl_outcomes")
views.downloads("时限完成情况", outcome_df, key="dl_outcomes")

# ---- first response distribution
if stats.first_response_hours:
    st.subheader("首次回应用时分布")
    hours_df = views.frame([{"用时（小时）": round(h, 2)} for h in stats.first_response_hours])
    st.altair_chart(
        alt.Chart(hours_df).mark_bar().encode(
            x=alt.X("用时（小时）:Q", bin=alt.Bin(maxbins=40)), y=alt.Y("count():Q", title="处置单")
        ).properties(height=220),
        width="stretch",
    )

# ---- trends
st.subheader("趋势")
granularity = st.radio("粒度", ["按周", "按月"], horizontal=True, key="stats_trend")
trend = stats.weekly if granularity == "按周" else stats.monthly
trend_df = views.frame(
    [
        {
            "起始日期": t.period_start.isoformat(),
            "处置单": t.cases,
            "已回应": t.responded,
            "时限": t.clocks,
            "曾超时": t.breached,
            "曾超时率": round(t.breached / t.clocks, 4) if t.clocks else None,
        }
        for t in trend
    ],
    ["起始日期", "处置单", "已回应", "时限", "曾超时", "曾超时率"],
)
tables["趋势" + granularity] = trend_df
if not trend_df.empty:
    long_trend = views.pandas().melt(trend_df, id_vars=["起始日期"], value_vars=["处置单", "已回应", "曾超时"],
                                     var_name="指标", value_name="数量")
    st.altair_chart(
        alt.Chart(long_trend).mark_line(point=True).encode(
            x=alt.X("起始日期:T", title="起始日期"), y="数量:Q", color="指标:N", tooltip=["起始日期", "指标", "数量"]
        ).properties(height=260),
        width="stretch",
    )
st.dataframe(trend_df, hide_index=True, width="stretch", key="tbl_trend")
views.downloads("趋势" + granularity, trend_df, key="dl_trend")

# ---- breaches
st.subheader("超时明细")
if stats.breach_total > len(stats.breaches):
    st.caption(f"显示最近的 {len(stats.breaches)} 条，共 {stats.breach_total} 条。")
breach_df = views.frame(
    [
        {
            "处置单": b.case_id,
            "标题": b.title,
            "单位": names.get(b.unit_id, b.unit_id),
            "等级": b.grade or "未定级",
            "时限": b.kind,
            "截止（北京时间）": fmt_local(b.due_at),
            "完成（北京时间）": fmt_local(b.met_at),
            "超时": fmt_duration(b.overdue),
            "打开": f"case?id={b.case_id}",
        }
        for b in stats.breaches
    ],
    ["处置单", "标题", "单位", "等级", "时限", "截止（北京时间）", "完成（北京时间）", "超时", "打开"],
)
tables["超时明细"] = breach_df
event = st.dataframe(
    views.styled(breach_df, grade_col="等级"), hide_index=True, width="stretch", column_config=views.link_config(),
    on_select="rerun", selection_mode="single-row", key="tbl_breaches",
)
views.downloads("超时明细", breach_df.drop(columns=["打开"]), key="dl_breaches")
picked = list(getattr(getattr(event, "selection", None), "rows", []) or [])
if picked:
    st.switch_page("app_pages/case.py", query_params={"id": str(int(breach_df.iloc[picked[0]]["处置单"]))})

st.divider()
st.download_button(
    "下载全部统计表（Excel）", lambda: to_xlsx_bytes(tables), file_name=f"统计_{period[0]}_{period[1]}.xlsx", mime=XLSX_MIME,
    key="dl_all", on_click="ignore",
)
