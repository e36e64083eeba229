"""Post-incident assessment reports (评估报告): a frozen model built from case data, rendered to .docx and HTML."""

from __future__ import annotations

import html
import io
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from classifier.types import Figures
from dashboard.text import as_utc, fmt_duration, fmt_local, safe_url
from responder.types import AuditEntry, Case, Clock, ClockState, LimitUnit, Response, StartBasis

DEFAULT_OPINION_HEADINGS: tuple[str, ...] = ("总体评价", "回应时效", "回应效果", "存在问题", "改进建议")

BASIS_LABEL: dict[str, str] = {
    StartBasis.OCCURRED.value: "事件发生",
    StartBasis.FIRST_ONLINE.value: "首次出现于网络",
    StartBasis.DISCOVERED.value: "值班发现",
}

CLOCK_STATE_LABEL: dict[str, str] = {
    ClockState.RUNNING.value: "计时中",
    ClockState.MET.value: "按时完成",
    ClockState.MET_LATE.value: "超时完成",
    ClockState.BREACHED.value: "已超时",
    ClockState.SUPERSEDED.value: "已失效（改级）",
}

# Chinese labels of the audit actions responder and the dashboard write.
ACTION_LABEL: dict[str, str] = {
    "case_opened": "立单",
    "case_acknowledged": "确认处置",
    "case_responded": "转为已回应",
    "case_dismissed": "撤销（误报/无需回应/重复）",
    "case_moved": "随重复事件并入",
    "event_merged": "重复事件并入",
    "case_closed": "办结",
    "case_reopened": "重新打开",
    "case_regraded": "调整等级",
    "case_assigned": "转办",
    "response_recorded": "登记回应",
    "follow_up_recorded": "登记后续发布",
    "clock_started": "启动时限",
    "clock_met": "时限按时完成",
    "clock_met_late": "时限超时完成",
    "clock_breached": "时限超时",
    "clock_superseded": "时限失效",
    "clock_revived": "时限恢复",
    "review_annotated": "填写评估意见",
    "label_recorded": "记录训练标注",
}

# XML 1.0 forbids most control characters; web text sometimes carries them and lxml would refuse it.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: Any) -> str:
    """Untrusted text made safe for XML: str, without control characters."""
    if text is None:
        return ""
    return _XML_ILLEGAL.sub("", str(text))


@dataclass(frozen=True, slots=True)
class ReportItem:
    """One item of the event as the report lists it."""

    title: str
    source: str
    url: str
    first_seen_at: datetime
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One moment on the timeline from first appearance to closure."""

    at: datetime
    what: str
    actor: str = ""


@dataclass(frozen=True, slots=True)
class ReportClock:
    """One clock with its due and met times."""

    kind: str
    basis: str
    limit: str
    started_at: datetime
    due_at: datetime
    met_at: datetime | None
    state: str
    plan: str
    citation: str


@dataclass(frozen=True, slots=True)
class ReportResponse:
    """One response with its link."""

    responded_at: datetime
    method: str
    channel: str
    actor: str
    link: str
    text: str


@dataclass(frozen=True, slots=True)
class CaseReport:
    """Everything the report says about one case."""

    case_id: int | None
    unit: str
    title: str
    state: str
    grade: str
    grade_basis: str
    category: str
    opened_at: datetime
    closed_at: datetime | None
    first_seen_at: datetime | None
    reasons: tuple[str, ...] = ()
    figures: tuple[tuple[str, str], ...] = ()
    clocks: tuple[ReportClock, ...] = ()
    responses: tuple[ReportResponse, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    dismiss_reason: str = ""


@dataclass(frozen=True, slots=True)
class SpreadPoint:
    """Items first seen in one time bucket."""

    start: datetime
    count: int


@dataclass(frozen=True, slots=True)
class SourceCount:
    """Items per source, with the first appearance there."""

    source: str
    count: int
    first_at: datetime


@dataclass(frozen=True, slots=True)
class AssessmentReport:
    """A whole post-incident assessment report, ready to render."""

    title: str
    scope: str
    generated_at: datetime
    cases: tuple[CaseReport, ...]
    items: tuple[ReportItem, ...] = ()
    spread: tuple[SpreadPoint, ...] = ()
    spread_bucket: str = "小时"
    sources: tuple[SourceCount, ...] = ()
    summary: tuple[tuple[str, str], ...] = ()
    opinions: tuple[tuple[str, str], ...] = field(
        default_factory=lambda: tuple((h, "") for h in DEFAULT_OPINION_HEADINGS)
    )
    author: str = ""
    items_total: int = 0


@dataclass(frozen=True, slots=True)
class DocxFonts:
    """Fonts for the Word file: an East Asian face for Chinese, a Latin face for the rest."""

    east_asia: str = "宋体"
    heading_east_asia: str = "黑体"
    latin: str = "Times New Roman"
    fallback_note: str = "Noto Sans CJK SC"  # what a Linux viewer substitutes; kept for the HTML font stack


# ---------------------------------------------------------------- building


def _limit_text(limit: float, unit: LimitUnit | str) -> str:
    number = int(limit) if float(limit).is_integer() else limit
    return f"{number} 个工作日" if str(unit) == LimitUnit.WORKING_DAYS.value else f"{number} 小时"


def report_clock(clock: Clock, now: datetime | None = None) -> ReportClock:
    """Report row of one clock; a running clock past due at `now` shows as 已超时."""
    state = clock.state.value
    if clock.state is ClockState.RUNNING and now is not None and as_utc(now) >= as_utc(clock.due_at):
        state = ClockState.BREACHED.value
    return ReportClock(
        kind=clock.kind.value,
        basis=BASIS_LABEL.get(clock.basis.value, clock.basis.value),
        limit=_limit_text(clock.limit, clock.unit),
        started_at=clock.started_at,
        due_at=clock.due_at,
        met_at=clock.met_at,
        state=CLOCK_STATE_LABEL.get(state, state),
        plan=clock.plan_id,
        citation=clock.citation,
    )


def report_response(response: Response) -> ReportResponse:
    """Report row of one response."""
    return ReportResponse(
        responded_at=response.responded_at,
        method=response.method.value,
        channel=response.channel.value,
        actor=response.actor,
        link=response.link,
        text=response.text,
    )


def figures_rows(figures: Figures | None) -> tuple[tuple[str, str], ...]:
    """The figures the grade rests on, as (label, value) rows; unknown figures are left out."""
    if figures is None:
        return ()
    rows: list[tuple[str, str]] = []
    labelled: Sequence[tuple[str, Any, str]] = (
        ("死亡", figures.deaths, "人"),
        ("失踪", figures.missing, "人"),
        ("重伤", figures.serious_injuries, "人"),
        ("受伤", figures.injuries, "人"),
        ("中毒", figures.poisoned, "人"),
        ("直接经济损失", figures.economic_loss_yuan, "元"),
        ("震级", figures.magnitude, "级"),
    )
    for label, value, unit in labelled:
        if value is not None:
            shown = f"{value:,.0f}" if isinstance(value, float) and unit == "元" else f"{value}"
            rows.append((label, f"{shown} {unit}"))
    if figures.no_casualties:
        rows.append(("伤亡", "报道称无人员伤亡"))
    return tuple(rows)


def _audit_text(entry: AuditEntry) -> str:
    after = entry.after or {}
    before = entry.before or {}
    label = ACTION_LABEL.get(entry.action, entry.action)
    details: list[str] = []
    if entry.entity == "clock" and "kind" in after:
        details.append(str(after["kind"]))
    if entry.entity == "response" and "method" in after:
        details.append(f"{after.get('method')}（{after.get('channel', '')}）")
    for key in ("state", "grade", "unit_id", "reason", "dismiss_reason", "note", "comment"):
        if key in after and after[key] not in (None, ""):
            was = before.get(key)
            details.append(f"{key}: {was} → {after[key]}" if was not in (None, "") else f"{key}: {after[key]}")
    return label + ("：" + "；".join(details) if details else "")


def case_timeline(
    case: Case,
    audit: Sequence[AuditEntry] = (),
    first_seen_at: datetime | None = None,
    first_source: str = "",
    now: datetime | None = None,
) -> tuple[TimelineEntry, ...]:
    """Timeline from first appearance to closure: the audit log when there is one, else the case's fields."""
    entries: list[TimelineEntry] = []
    if case.times.occurred_at is not None:
        entries.append(TimelineEntry(case.times.occurred_at, "事件发生"))
    first_online = first_seen_at or case.times.first_online_at
    if first_online is not None:
        suffix = f"（{first_source}）" if first_source else ""
        entries.append(TimelineEntry(first_online, f"首次出现于网络{suffix}"))
    entries.append(TimelineEntry(case.times.discovered_at, "值班发现"))
    if audit:
        entries.extend(TimelineEntry(e.at, _audit_text(e), e.actor) for e in audit)
        logged_breaches = {(e.entity_id, e.action) for e in audit if e.action == "clock_breached"}
    else:
        logged_breaches = set()
        grade = case.grade.value if case.grade else "未定级"
        entries.append(TimelineEntry(case.opened_at, f"立单（{grade}）"))
        if case.acknowledged_at is not None:
            entries.append(TimelineEntry(case.acknowledged_at, "确认处置"))
        for response in case.responses:
            entries.append(
                TimelineEntry(
                    response.responded_at, f"回应：{response.method.value}（{response.channel.value}）", response.actor
                )
            )
        for clock in case.clocks:
            if clock.met_at is not None:
                late = "（超时）" if clock.state is ClockState.MET_LATE else ""
                entries.append(TimelineEntry(clock.met_at, f"时限达成：{clock.kind.value}{late}"))
            if clock.superseded_at is not None:
                entries.append(TimelineEntry(clock.superseded_at, f"时限失效（改级）：{clock.kind.value}"))
        if case.closed_at is not None:
            entries.append(TimelineEntry(case.closed_at, f"办结（{case.state.value}）"))
    # A breach is a moment in time even when no sweep wrote it down: show it at the due time.
    if not logged_breaches:
        for clock in case.clocks:
            overdue_unmet = clock.state is ClockState.RUNNING and now is not None and as_utc(now) >= as_utc(clock.due_at)
            if clock.state in (ClockState.BREACHED, ClockState.MET_LATE) or overdue_unmet:
                entries.append(TimelineEntry(clock.due_at, f"时限到期未完成：{clock.kind.value}"))
    return tuple(sorted(entries, key=lambda e: as_utc(e.at)))


def case_report(
    case: Case,
    *,
    unit_name: str = "",
    audit: Sequence[AuditEntry] = (),
    grade_basis: str = "",
    reasons: Iterable[str] = (),
    figures: Figures | None = None,
    first_seen_at: datetime | None = None,
    first_source: str = "",
    now: datetime | None = None,
) -> CaseReport:
    """Everything the report says about one case, from the domain types."""
    return CaseReport(
        case_id=case.id,
        unit=unit_name or case.unit_id,
        title=case.title,
        state=case.state.value,
        grade=case.grade.value if case.grade else "未定级",
        grade_basis=grade_basis,
        category=case.category,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        first_seen_at=first_seen_at or case.times.first_online_at,
        reasons=tuple(reasons),
        figures=figures_rows(figures),
        clocks=tuple(report_clock(c, now) for c in case.clocks),
        responses=tuple(report_response(r) for r in sorted(case.responses, key=lambda r: as_utc(r.responded_at))),
        timeline=case_timeline(case, audit, first_seen_at, first_source, now),
        dismiss_reason=case.dismiss_reason,
    )


def spread_curve(items: Sequence[ReportItem]) -> tuple[tuple[SpreadPoint, ...], str]:
    """Items per hour (span ≤ 3 days) or per day, gaps filled with zeros; returns points and bucket name."""
    if not items:
        return (), "小时"
    times = sorted(as_utc(i.first_seen_at) for i in items)
    span = times[-1] - times[0]
    hourly = span <= timedelta(days=3)
    step = timedelta(hours=1) if hourly else timedelta(days=1)

    def bucket(t: datetime) -> datetime:
        return t.replace(minute=0, second=0, microsecond=0) if hourly else t.replace(
            hour=0, minute=0, second=0, microsecond=0
        )

    counts = Counter(bucket(t) for t in times)
    points: list[SpreadPoint] = []
    cursor, last = bucket(times[0]), bucket(times[-1])
    while cursor <= last and len(points) < 2000:
        points.append(SpreadPoint(cursor, counts.get(cursor, 0)))
        cursor += step
    return tuple(points), "小时" if hourly else "天"


def source_counts(items: Sequence[ReportItem]) -> tuple[SourceCount, ...]:
    """Items per source, most items first."""
    firsts: dict[str, datetime] = {}
    counts: Counter[str] = Counter()
    for item in items:
        counts[item.source] += 1
        at = as_utc(item.first_seen_at)
        if item.source not in firsts or at < firsts[item.source]:
            firsts[item.source] = at
    return tuple(
        SourceCount(src, n, firsts[src]) for src, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def _summary(cases: Sequence[CaseReport], items: Sequence[ReportItem]) -> tuple[tuple[str, str], ...]:
    clocks = [c for case in cases for c in case.clocks if c.state != CLOCK_STATE_LABEL[ClockState.SUPERSEDED.value]]
    on_time = sum(1 for c in clocks if c.state == CLOCK_STATE_LABEL[ClockState.MET.value])
    rows: list[tuple[str, str]] = [
        ("处置单数", str(len(cases))),
        ("相关条目数", str(len(items))),
    ]
    if items:
        first = min(as_utc(i.first_seen_at) for i in items)
        rows.append(("首次出现", fmt_local(first)))
    if clocks:
        rows.append(("时限总数", str(len(clocks))))
        rows.append(("按时完成", f"{on_time}（{on_time / len(clocks):.0%}）"))
    first_responses = [
        as_utc(case.responses[0].responded_at) - as_utc(case.opened_at) for case in cases if case.responses
    ]
    if first_responses:
        first_responses.sort()
        rows.append(("首次回应用时（中位数）", fmt_duration(first_responses[len(first_responses) // 2])))
    closed = [c for c in cases if c.closed_at is not None]
    rows.append(("已办结", str(len(closed))))
    return tuple(rows)


def build_report(
    *,
    title: str,
    scope: str,
    cases: Sequence[CaseReport],
    items: Sequence[ReportItem] = (),
    generated_at: datetime,
    author: str = "",
    opinions: Mapping[str, str] | None = None,
    item_limit: int = 200,
) -> AssessmentReport:
    """Assemble the report model: summary, spread curve, sources, cases and the 评估意见 blanks."""
    spread, bucket = spread_curve(items)
    filled = dict(opinions or {})
    headings = list(DEFAULT_OPINION_HEADINGS) + [h for h in filled if h not in DEFAULT_OPINION_HEADINGS]
    ordered_items = sorted(items, key=lambda i: as_utc(i.first_seen_at))
    return AssessmentReport(
        title=title,
        scope=scope,
        generated_at=generated_at,
        cases=tuple(cases),
        items=tuple(ordered_items[:item_limit]),
        spread=spread,
        spread_bucket=bucket,
        sources=source_counts(items),
        summary=_summary(cases, items),
        opinions=tuple((h, filled.get(h, "")) for h in headings),
        author=author,
        items_total=len(items),
    )


# ---------------------------------------------------------------- .docx


def render_docx(report: AssessmentReport, fonts: DocxFonts | None = None) -> bytes:
    """Render the report as a Word document (A4, Chinese fonts, page numbers, tables fitted to the page)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    fonts = fonts or DocxFonts()
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.4)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.2)
    _docx_styles(doc, fonts)
    _docx_page_numbers(section, fonts)
    usable = int(section.page_width - section.left_margin - section.right_margin)

    title = doc.add_paragraph(style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(title, clean(report.title), fonts, heading=True)
    meta = doc.add_paragraph()
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(meta, f"范围：{clean(report.scope)}　生成时间：{fmt_local(report.generated_at)}（北京时间）", fonts, size=Pt(10))
    if report.author:
        _run(meta, f"　编写：{clean(report.author)}", fonts, size=Pt(10))

    doc.add_heading("一、概况", level=1)
    _docx_table(doc, ("项目", "内容"), [list(r) for r in report.summary], (1, 2), usable, fonts)

    doc.add_heading("二、传播情况", level=1)
    if report.spread:
        peak = max(p.count for p in report.spread) or 1
        rows = [
            [fmt_local(p.start), str(p.count), "■" * max(0, round(20 * p.count / peak))]
            for p in report.spread
            if p.count or len(report.spread) <= 48
        ]
        doc.add_paragraph(f"按{report.spread_bucket}统计的新增条目（共 {report.items_total} 条）：")
        _docx_table(doc, ("时间", "新增条目", "分布"), rows, (2, 1, 3), usable, fonts)
    else:
        doc.add_paragraph("暂无条目。")
    if report.sources:
        doc.add_paragraph("信息来源：")
        _docx_table(
            doc,
            ("来源", "条目数", "首次出现"),
            [[s.source, str(s.count), fmt_local(s.first_at)] for s in report.sources],
            (3, 1, 2),
            usable,
            fonts,
        )
    if report.items:
        doc.add_paragraph("相关条目（按首次出现排序）：")
        _docx_table(
            doc,
            ("首次出现", "来源", "标题", "链接"),
            [[fmt_local(i.first_seen_at), i.source, i.title, i.url] for i in report.items],
            (2, 1.5, 4, 3),
            usable,
            fonts,
            link_column=3,
        )

    doc.add_heading("三、处置情况", level=1)
    for number, case in enumerate(report.cases, start=1):
        doc.add_heading(f"{number}. {clean(case.title) or '（无标题）'}", level=2)
        facts = [
            ["处置单", f"#{case.case_id}" if case.case_id is not None else "—"],
            ["责任单位", case.unit],
            ["状态", case.state + (f"（{case.dismiss_reason}）" if case.dismiss_reason else "")],
            ["等级", case.grade],
            ["定级依据", case.grade_basis or "—"],
            ["类别", case.category or "—"],
            ["首次出现", fmt_local(case.first_seen_at)],
            ["立单", fmt_local(case.opened_at)],
            ["办结", fmt_local(case.closed_at)],
        ]
        facts += [[label, value] for label, value in case.figures]
        if case.reasons:
            facts.append(["研判理由", "；".join(case.reasons)])
        _docx_table(doc, ("项目", "内容"), facts, (1, 3), usable, fonts)
        doc.add_paragraph("时限：")
        _docx_table(
            doc,
            ("时限", "起算", "期限", "开始", "截止", "完成", "状态", "依据"),
            [
                [
                    c.kind,
                    c.basis,
                    c.limit,
                    fmt_local(c.started_at),
                    fmt_local(c.due_at),
                    fmt_local(c.met_at),
                    c.state,
                    c.citation,
                ]
                for c in case.clocks
            ]
            or [["无（不启动时限）", "", "", "", "", "", "", ""]],
            (1.4, 1, 0.9, 1.4, 1.4, 1.4, 1, 2),
            usable,
            fonts,
        )
        doc.add_paragraph("回应：")
        _docx_table(
            doc,
            ("时间", "方式", "渠道", "经办人", "链接", "内容"),
            [[fmt_local(r.responded_at), r.method, r.channel, r.actor, r.link, r.text] for r in case.responses]
            or [["尚无回应", "", "", "", "", ""]],
            (1.4, 1.2, 1, 0.9, 2, 2.5),
            usable,
            fonts,
            link_column=4,
        )
        doc.add_paragraph("时间线：")
        _docx_table(
            doc,
            ("时间", "事项", "操作人"),
            [[fmt_local(t.at), t.what, t.actor] for t in case.timeline],
            (1.3, 4, 1.2),
            usable,
            fonts,
        )

    doc.add_heading("四、评估意见", level=1)
    _docx_opinions(doc, report.opinions, usable, fonts)
    signature = doc.add_paragraph()
    _run(signature, "评估人：______________　　审核：______________　　日期：______年____月____日", fonts)

    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _set_rfonts(rpr: Any, latin: str, east_asia: str) -> None:
    """Set every rFonts slot explicitly and drop theme fonts, which would otherwise win over ours."""
    from docx.oxml.ns import qn

    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:cs"), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)


def _docx_styles(doc: Any, fonts: DocxFonts) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    sizes = {"Normal": Pt(11), "Title": Pt(20), "Heading 1": Pt(15), "Heading 2": Pt(12.5)}
    for name, size in sizes.items():
        style = doc.styles[name]
        style.font.size = size
        style.font.color.rgb = RGBColor(0, 0, 0)
        rpr = style.element.get_or_add_rPr()
        heading = name != "Normal"
        _set_rfonts(rpr, fonts.latin, fonts.heading_east_asia if heading else fonts.east_asia)
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = rpr.makeelement(qn("w:lang"), {})
            rpr.append(lang)
        lang.set(qn("w:eastAsia"), "zh-CN")
    # The default template's Title has a coloured bottom border; official reports are plain.
    title_ppr = doc.styles["Title"].element.pPr
    if title_ppr is not None:
        for border in title_ppr.findall(qn("w:pBdr")):
            title_ppr.remove(border)


def _run(paragraph: Any, text: str, fonts: DocxFonts, *, heading: bool = False, size: Any = None,
         bold: bool = False) -> Any:
    run = paragraph.add_run(clean(text))
    _set_rfonts(run._element.get_or_add_rPr(), fonts.latin, fonts.heading_east_asia if heading else fonts.east_asia)
    if size is not None:
        run.font.size = size
    if bold:
        run.bold = True
    return run


def _field(paragraph: Any, instruction: str, fonts: DocxFonts) -> None:
    """Insert a Word field (PAGE, NUMPAGES) that the viewer computes."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for kind, text in (("begin", None), ("instr", instruction), ("separate", None), ("text", "1"), ("end", None)):
        run = _run(paragraph, "", fonts)
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {text} "
            run._element.append(instr)
        elif kind == "text":
            run.text = text or ""
        else:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._element.append(fld)


def _docx_page_numbers(section: Any, fonts: DocxFonts) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    footer = section.footer
    paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(paragraph, "第 ", fonts)
    _field(paragraph, "PAGE", fonts)
    _run(paragraph, " 页 / 共 ", fonts)
    _field(paragraph, "NUMPAGES", fonts)
    _run(paragraph, " 页", fonts)


def _set_table_width(table: Any, widths: Sequence[int]) -> None:
    """Fixed layout with explicit widths so Word and LibreOffice keep the table inside the margins."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Emu

    table.autofit = False
    tbl_pr = table._tbl.tblPr
    total_twips = sum(widths) // 635  # 1 twip = 635 EMU
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        tbl_pr.append(tbl_w)
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(total_twips))
    layout = tbl_pr.find(qn("w:tblLayout"))
    if layout is None:
        layout = OxmlElement("w:tblLayout")
        tbl_pr.append(layout)
    layout.set(qn("w:type"), "fixed")
    for index, width in enumerate(widths):
        table.columns[index].width = Emu(width)
        for cell in table.columns[index].cells:
            cell.width = Emu(width)


def _add_hyperlink(paragraph: Any, url: str, fonts: DocxFonts, size: Any) -> None:
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rel_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel_id)
    run = _run(paragraph, url, fonts, size=size)
    run.font.underline = True
    link.append(run._element)
    paragraph._p.append(link)


def _docx_table(
    doc: Any,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    weights: Sequence[float],
    usable: int,
    fonts: DocxFonts,
    *,
    link_column: int | None = None,
) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    size = Pt(9) if len(headers) > 4 else Pt(10)
    table = doc.add_table(rows=1 + len(rows), cols=len(headers))
    table.style = doc.styles["Table Grid"]
    total = sum(weights)
    widths = [int(usable * w / total) for w in weights]
    _set_table_width(table, widths)
    header_row = table.rows[0]
    # Repeat the header row on every page the table spans.
    tr_pr = header_row._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    tr_pr.append(repeat)
    for cell, text in zip(header_row.cells, headers, strict=True):
        cell.paragraphs[0].text = ""
        _run(cell.paragraphs[0], text, fonts, heading=True, size=size, bold=True)
    for row_cells, values in zip(table.rows[1:], rows, strict=True):
        for index, (cell, value) in enumerate(zip(row_cells.cells, values, strict=True)):
            text = clean(value)
            url = safe_url(text) if index == link_column else ""
            if url:
                _add_hyperlink(cell.paragraphs[0], url, fonts, size)
            else:
                _run(cell.paragraphs[0], text, fonts, size=size)
    doc.add_paragraph()


def _docx_opinions(doc: Any, opinions: Sequence[tuple[str, str]], usable: int, fonts: DocxFonts) -> None:
    from docx.enum.table import WD_ROW_HEIGHT_RULE
    from docx.shared import Cm, Pt

    table = doc.add_table(rows=len(opinions), cols=2)
    table.style = doc.styles["Table Grid"]
    _set_table_width(table, [int(usable * 0.22), usable - int(usable * 0.22)])
    for row, (heading, text) in zip(table.rows, opinions, strict=True):
        row.height = Cm(2.6)
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        _run(row.cells[0].paragraphs[0], heading, fonts, heading=True, size=Pt(11), bold=True)
        _run(row.cells[1].paragraphs[0], text, fonts, size=Pt(11))  # empty: a blank for the author
    doc.add_paragraph()


# ---------------------------------------------------------------- HTML


def _e(text: Any) -> str:
    return html.escape(clean(text), quote=True)


def _link(url: str) -> str:
    safe = safe_url(url)
    if not safe:
        return _e(url)
    return f'<a href="{_e(safe)}" rel="noopener noreferrer nofollow" target="_blank">{_e(safe)}</a>'


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, link_column: int | None = None,
                widths: Sequence[float] | None = None) -> str:
    cols = ""
    if widths:
        total = sum(widths)
        cols = "<colgroup>" + "".join(f'<col style="width:{100 * w / total:.1f}%">' for w in widths) + "</colgroup>"
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(
            f"<td>{_link(v) if i == link_column else _e(v)}</td>" for i, v in enumerate(row)
        ) + "</tr>"
        for row in rows
    )
    return f"<table>{cols}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _spread_svg(points: Sequence[SpreadPoint]) -> str:
    """A small line chart drawn from numbers only (no untrusted text inside the SVG)."""
    if len(points) < 2:
        return ""
    width, height, pad = 640, 160, 24
    peak = max(p.count for p in points) or 1
    step = (width - 2 * pad) / (len(points) - 1)
    coords = " ".join(
        f"{pad + i * step:.1f},{height - pad - (height - 2 * pad) * p.count / peak:.1f}" for i, p in enumerate(points)
    )
    return (
        f'<svg class="spread" viewBox="0 0 {width} {height}" role="img" aria-label="传播曲线">'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#888"/>'
        f'<polyline fill="none" stroke="#c62828" stroke-width="2" points="{coords}"/>'
        f'<text x="{pad}" y="14" font-size="12">峰值 {peak}</text></svg>'
    )


_HTML_STYLE = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "SimSun", sans-serif;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.6; color: #111; }
h1 { text-align: center; font-size: 1.8rem; } .meta { text-align: center; color: #444; }
table { width: 100%; table-layout: fixed; border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #999; padding: .3rem .4rem; vertical-align: top; overflow-wrap: anywhere; }
th { background: #eee; } .blank td { height: 6rem; } svg.spread { width: 100%; height: auto; }
@page { size: A4; margin: 2.2cm 2.4cm; @bottom-center { content: "第 " counter(page) " 页"; } }
"""


def render_html(report: AssessmentReport) -> str:
    """Render the report as a standalone HTML page; every piece of text is escaped."""
    parts: list[str] = [
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{_e(report.title)}</title><style>{_HTML_STYLE}</style></head><body>",
        f"<h1>{_e(report.title)}</h1>",
        f'<p class="meta">范围：{_e(report.scope)}　生成时间：{_e(fmt_local(report.generated_at))}（北京时间）'
        + (f"　编写：{_e(report.author)}" if report.author else "")
        + "</p>",
        "<h2>一、概况</h2>",
        _html_table(("项目", "内容"), report.summary, widths=(1, 2)),
        "<h2>二、传播情况</h2>",
    ]
    if report.spread:
        parts.append(f"<p>按{_e(report.spread_bucket)}统计的新增条目（共 {report.items_total} 条）：</p>")
        parts.append(_spread_svg(report.spread))
        parts.append(
            _html_table(
                ("时间", "新增条目"), [(fmt_local(p.start), str(p.count)) for p in report.spread if p.count]
            )
        )
    else:
        parts.append("<p>暂无条目。</p>")
    if report.sources:
        parts.append("<p>信息来源：</p>")
        parts.append(
            _html_table(("来源", "条目数", "首次出现"),
                        [(s.source, str(s.count), fmt_local(s.first_at)) for s in report.sources], widths=(3, 1, 2))
        )
    if report.items:
        parts.append("<p>相关条目（按首次出现排序）：</p>")
        parts.append(
            _html_table(("首次出现", "来源", "标题", "链接"),
                        [(fmt_local(i.first_seen_at), i.source, i.title, i.url) for i in report.items],
                        link_column=3, widths=(2, 1.5, 4, 3))
        )
    parts.append("<h2>三、处置情况</h2>")
    for number, case in enumerate(report.cases, start=1):
        parts.append(f"<h3>{number}. {_e(case.title) or '（无标题）'}</h3>")
        facts: list[tuple[str, str]] = [
            ("处置单", f"#{case.case_id}" if case.case_id is not None else "—"),
            ("责任单位", case.unit),
            ("状态", case.state + (f"（{case.dismiss_reason}）" if case.dismiss_reason else "")),
            ("等级", case.grade),
            ("定级依据", case.grade_basis or "—"),
            ("类别", case.category or "—"),
            ("首次出现", fmt_local(case.first_seen_at)),
            ("立单", fmt_local(case.opened_at)),
            ("办结", fmt_local(case.closed_at)),
            *case.figures,
        ]
        if case.reasons:
            facts.append(("研判理由", "；".join(case.reasons)))
        parts.append(_html_table(("项目", "内容"), facts, widths=(1, 3)))
        parts.append("<p>时限：</p>")
        parts.append(
            _html_table(
                ("时限", "起算", "期限", "开始", "截止", "完成", "状态", "依据"),
                [(c.kind, c.basis, c.limit, fmt_local(c.started_at), fmt_local(c.due_at), fmt_local(c.met_at),
                  c.state, c.citation) for c in case.clocks] or [("无（不启动时限）",) + ("",) * 7],
                widths=(1.4, 1, 0.9, 1.4, 1.4, 1.4, 1, 2),
            )
        )
        parts.append("<p>回应：</p>")
        parts.append(
            _html_table(
                ("时间", "方式", "渠道", "经办人", "链接", "内容"),
                [(fmt_local(r.responded_at), r.method, r.channel, r.actor, r.link, r.text) for r in case.responses]
                or [("尚无回应", "", "", "", "", "")],
                link_column=4,
                widths=(1.4, 1.2, 1, 0.9, 2, 2.5),
            )
        )
        parts.append("<p>时间线：</p>")
        parts.append(
            _html_table(("时间", "事项", "操作人"), [(fmt_local(t.at), t.what, t.actor) for t in case.timeline],
                        widths=(1.3, 4, 1.2))
        )
    parts.append("<h2>四、评估意见</h2>")
    parts.append('<table class="blank"><colgroup><col style="width:22%"><col></colgroup><tbody>')
    for heading, text in report.opinions:
        parts.append(f"<tr><th>{_e(heading)}</th><td>{_e(text)}</td></tr>")
    parts.append("</tbody></table>")
    parts.append("<p>评估人：______________　　审核：______________　　日期：______年____月____日</p>")
    parts.append("</body></html>")
    return "".join(parts)
