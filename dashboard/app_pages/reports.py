"""评估报告 (post-incident assessment report) for one case or a period: preview, 评估意见, .docx and HTML."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta

import altair as alt
import streamlit as st
from sqlalchemy.orm import Session

from dashboard import actions, auth, data, runtime, views
from dashboard.auth import Permission
from dashboard.errors import AccessDenied, ActionError
from dashboard.report import (
    DEFAULT_OPINION_HEADINGS,
    AssessmentReport,
    CaseReport,
    ReportItem,
    build_report,
    case_report,
    render_docx,
    render_html,
)
from dashboard.text import SHANGHAI, fmt_local, md_escape

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PERIOD_CASE_LIMIT = 200

user = auth.require_role(permission=Permission.VIEW)
db = runtime.database_key()
now = runtime.now()

st.title("评估报告")
st.caption("舆情处置评估报告：时间线、传播、来源、等级与依据、各时限、回应，以及待填写的评估意见。")


@st.cache_data(ttl=30, show_spinner="生成报告中…")
def _sections(
    db: str, case_ids: tuple[int, ...], now: datetime
) -> tuple[tuple[CaseReport, ...], tuple[ReportItem, ...]]:
    """Report sections and items of the cases (cached briefly: typing 评估意见 must not redo the queries)."""
    sections: list[CaseReport] = []
    items: list[ReportItem] = []
    with runtime.read_session() as session:
        for case_id in case_ids:
            built = _section(session, case_id, now)
            if built is not None:
                sections.append(built[0])
                items.extend(built[1])
    return tuple(sections), tuple(items)


def _section(session: Session, case_id: int, now: datetime) -> tuple[CaseReport, list[ReportItem]] | None:
    detail = data.case_detail(session, case_id, item_limit=500)
    if detail is None:
        return None
    items = [ReportItem(i.title, i.source_name, i.url, i.first_seen_at, i.published_at) for i in detail.items]
    a = detail.assessment
    section = case_report(
        detail.case,
        unit_name=detail.unit_name,
        audit=detail.audit,
        grade_basis=a.basis if a else "",
        reasons=a.reasons if a else (),
        figures=a.figures if a else None,
        first_seen_at=items[0].first_seen_at if items else None,
        first_source=items[0].source if items else "",
        now=now,
    )
    return section, items


mode = st.radio("报告范围", ["单个处置单", "时间段"], horizontal=True, key="report_mode")
sections: list[CaseReport] = []
all_items: list[ReportItem] = []
if mode == "单个处置单":
    with runtime.read_session() as session:
        choices = data.case_choices(session, tuple(user.units), limit=500)
    if not choices:
        st.info("暂无处置单。")
        st.stop()
    labels = dict(choices)
    wanted = st.session_state.get("case_id")
    ids = list(labels)
    case_id = st.selectbox("处置单", ids, index=ids.index(wanted) if wanted in ids else 0,
                           format_func=lambda cid: labels.get(cid, f"#{cid}"), key="report_case")
    found, found_items = _sections(db, (int(case_id),), now.replace(second=0, microsecond=0))
    if not found:
        st.error("处置单不存在。")
        st.stop()
    sections, all_items = list(found), list(found_items)
    subject = f"case:{case_id}"
    subject_case: int | None = int(case_id)
    title = f"关于“{found[0].title[:40]}”舆情处置情况的评估报告"
    scope = f"处置单 #{case_id}（{found[0].unit}）"
else:
    today = now.astimezone(SHANGHAI).date()
    unit_options = views.allowed_units(user, db)
    c1, c2 = st.columns([1, 2])
    period = c1.date_input("时间段（立单日期）", value=(today - timedelta(days=6), today), key="report_period")
    chosen = c2.multiselect("单位（不选为全部）", list(unit_options), format_func=lambda u: unit_options.get(u, u),
                            key="report_units")
    if not isinstance(period, tuple) or len(period) != 2:
        st.info("请选择开始和结束日期。")
        st.stop()
    start = datetime.combine(period[0], time(0), tzinfo=SHANGHAI)
    end = datetime.combine(period[1] + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    units: Sequence[str] = tuple(chosen) or tuple(user.units)
    with runtime.read_session() as session:
        period_ids = data.cases_in_period(session, start, end, units, limit=PERIOD_CASE_LIMIT)
    found, found_items = _sections(db, period_ids, now.replace(second=0, microsecond=0))
    sections, all_items = list(found), list(found_items)
    if len(period_ids) >= PERIOD_CASE_LIMIT:
        st.warning(f"时间段内处置单较多，报告只包含前 {PERIOD_CASE_LIMIT} 个。")
    subject = f"period:{period[0]}:{period[1]}:{','.join(sorted(units))}"
    subject_case = None
    title = f"{period[0]} 至 {period[1]} 舆情处置情况评估报告"
    scope = f"{period[0]} 至 {period[1]}" + (f"（{'、'.join(unit_options.get(u, u) for u in units)}）" if units else "（全部单位）")

# ---- 评估意见: saved as append-only audit entries, so every edit is kept with its author
with runtime.read_session() as session:
    saved = actions.latest_opinions(session, subject)
st.subheader("评估意见")
can_annotate = user.can(Permission.ANNOTATE)
with st.form("opinions_form"):
    opinions = {
        heading: st.text_area(heading, value=saved.get(heading, ""), key=f"op_{subject}_{heading}", height=90,
                              disabled=not can_annotate)
        for heading in DEFAULT_OPINION_HEADINGS
    }
    save = st.form_submit_button("保存评估意见", disabled=not can_annotate)
if save:
    try:
        with runtime.write_session() as session:
            result = actions.annotate(session, user, subject=subject, opinions=opinions, now=runtime.now(),
                                      case_id=subject_case)
        st.success(result.message)
    except (ActionError, AccessDenied) as exc:
        st.error(f"保存失败：{md_escape(str(exc))}")

report: AssessmentReport = build_report(
    title=title, scope=scope, cases=sections, items=all_items, generated_at=now,
    author=user.display_name or user.username, opinions=opinions,
)

d1, d2 = st.columns(2)
stem = subject.replace(":", "_").replace(",", "_")
d1.download_button("下载 Word（.docx）", lambda: render_docx(report), file_name=f"评估报告_{stem}.docx", mime=DOCX_MIME,
                   key="dl_docx", type="primary", on_click="ignore")
d2.download_button("下载 HTML", lambda: render_html(report).encode("utf-8"), file_name=f"评估报告_{stem}.html",
                   mime="text/html", key="dl_html", on_click="ignore")

# ---- preview (every untrusted string is in a dataframe cell or escaped)
st.subheader("预览")
st.markdown(f"**{md_escape(report.title)}**")
st.caption(f"范围：{md_escape(report.scope)}　生成时间：{fmt_local(report.generated_at)}（北京时间）")
st.dataframe(views.frame([{"项目": k, "内容": v} for k, v in report.summary]), hide_index=True, key="rep_summary")
if report.spread:
    spread_df = views.frame(
        [{"时间": p.start.astimezone(SHANGHAI).replace(tzinfo=None), "新增条目": p.count} for p in report.spread]
    )
    st.altair_chart(
        alt.Chart(spread_df).mark_area(line=True, opacity=0.4).encode(x=alt.X("时间:T", title="时间（北京时间）"),
                                                                      y="新增条目:Q")
        .properties(height=220, title=f"传播曲线（按{report.spread_bucket}）"),
        width="stretch",
    )
if report.sources:
    st.dataframe(
        views.frame([{"来源": s.source, "条目数": s.count, "首次出现": fmt_local(s.first_at)} for s in report.sources]),
        hide_index=True, key="rep_sources",
    )
for index, section in enumerate(report.cases):
    with st.expander(f"{index + 1}. #{section.case_id} {md_escape(section.title[:60])}",
                     expanded=len(report.cases) == 1):
        st.dataframe(
            views.frame([
                {"项目": "等级", "内容": section.grade}, {"项目": "定级依据", "内容": section.grade_basis or "—"},
                {"项目": "状态", "内容": section.state}, {"项目": "责任单位", "内容": section.unit},
            ]),
            hide_index=True, key=f"rep_facts_{index}",
        )
        st.dataframe(
            views.frame([
                {"时限": c.kind, "起算": c.basis, "期限": c.limit, "截止": fmt_local(c.due_at), "完成": fmt_local(c.met_at),
                 "状态": c.state}
                for c in section.clocks
            ]),
            hide_index=True, key=f"rep_clocks_{index}",
        )
        if section.responses:
            st.dataframe(
                views.frame([
                    {"时间": fmt_local(r.responded_at), "方式": r.method, "渠道": r.channel, "链接": r.link, "内容": r.text}
                    for r in section.responses
                ]),
                hide_index=True, key=f"rep_resp_{index}",
            )
        st.dataframe(
            views.frame([{"时间": fmt_local(t.at), "事项": t.what, "操作人": t.actor} for t in section.timeline]),
            hide_index=True, key=f"rep_timeline_{index}",
        )
