"""Assessment reports: the model, a .docx that reads back, HTML with every untrusted string escaped."""

from __future__ import annotations

import io
from datetime import timedelta

import docx
from docx.oxml.ns import qn

from dashboard import data
from dashboard.report import (
    DEFAULT_OPINION_HEADINGS,
    ReportItem,
    build_report,
    case_report,
    clean,
    render_docx,
    render_html,
    spread_curve,
)
from storage.db import make_engine, session_factory
from tests.dashboard.seed import HOSTILE_TITLE, NOW, Seeded


def _report_for(seeded: Seeded, key: str, opinions: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    engine = make_engine(seeded.url)
    try:
        with session_factory(engine)() as session:
            detail = data.case_detail(session, seeded.case_ids[key])
    finally:
        engine.dispose()
    assert detail is not None
    items = [ReportItem(i.title, i.source_name, i.url, i.first_seen_at, i.published_at) for i in detail.items]
    section = case_report(
        detail.case, unit_name=detail.unit_name, audit=detail.audit,
        grade_basis=detail.assessment.basis if detail.assessment else "",
        figures=detail.assessment.figures if detail.assessment else None,
        first_seen_at=items[0].first_seen_at, first_source=items[0].source, now=NOW,
    )
    return build_report(title=f"评估报告：{detail.case.title}", scope=f"处置单 #{detail.case.id}", cases=[section],
                        items=items, generated_at=NOW, author="值班员", opinions=opinions)


def test_docx_from_a_test_case_opens_and_reads_back(seeded: Seeded) -> None:
    report = _report_for(seeded, "major", {"总体评价": "处置及时。"})
    document = docx.Document(io.BytesIO(render_docx(report)))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    assert "评估报告：示例区某路段发生重大交通事故" in text
    assert "四、评估意见" in text
    assert "发布事实信息" in cells and "召开新闻发布会" in cells
    assert "示例区应急管理局" in cells
    assert "死亡12人，属重大（10–29人）" in cells
    assert "2026-11-20 09:40" in cells  # due time in Asia/Shanghai
    for heading in DEFAULT_OPINION_HEADINGS:
        assert heading in cells
    assert "处置及时。" in cells
    # Blanks stay blank for the author: the 存在问题 row has an empty answer cell.
    opinion_table = document.tables[-1]
    answers = {row.cells[0].text: row.cells[1].text for row in opinion_table.rows}
    assert answers["存在问题"] == ""


def test_docx_has_page_numbers_chinese_fonts_and_fitting_tables(seeded: Seeded) -> None:
    report = _report_for(seeded, "major")
    document = docx.Document(io.BytesIO(render_docx(report)))
    footer_xml = document.sections[0].footer._element.xml
    assert "PAGE" in footer_xml and "NUMPAGES" in footer_xml and "fldChar" in footer_xml
    normal = document.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "宋体"
    assert normal.get(qn("w:asciiTheme")) is None
    heading = document.styles["Heading 1"].element.rPr.rFonts
    assert heading.get(qn("w:eastAsia")) == "黑体"
    section = document.sections[0]
    usable_twips = (section.page_width - section.left_margin - section.right_margin) / 635
    for table in document.tables:
        width = table._tbl.tblPr.find(qn("w:tblW"))
        assert width.get(qn("w:type")) == "dxa"
        assert int(width.get(qn("w:w"))) <= usable_twips + 1
        assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"


def test_hostile_text_is_escaped_in_html_and_harmless_in_docx(seeded: Seeded) -> None:
    report = _report_for(seeded, "hostile")
    html_text = render_html(report)
    assert "<script>" not in html_text
    assert "&lt;script&gt;" in html_text
    assert 'href="http://evil.example' not in html_text
    document = docx.Document(io.BytesIO(render_docx(report)))
    assert HOSTILE_TITLE in "\n".join(p.text for p in document.paragraphs)


def test_html_links_only_http_and_control_characters_are_dropped() -> None:
    items = [
        ReportItem("坏链接\x00\x0b", "源", "javascript:alert(1)", NOW),
        ReportItem("好链接", "源", "https://gov.example.cn/a?x=1&y=2", NOW + timedelta(hours=2)),
    ]
    report = build_report(title="t", scope="s", cases=[], items=items, generated_at=NOW)
    html_text = render_html(report)
    assert 'href="javascript' not in html_text
    assert 'href="https://gov.example.cn/a?x=1&amp;y=2"' in html_text
    assert "\x00" not in html_text and clean("a\x00b\x0bc") == "abc"
    document = docx.Document(io.BytesIO(render_docx(report)))
    assert document.tables  # control characters did not break the XML


def test_spread_curve_fills_gaps_and_switches_to_days() -> None:
    hourly, bucket = spread_curve([ReportItem("a", "s", "", NOW), ReportItem("b", "s", "", NOW + timedelta(hours=3))])
    assert bucket == "小时" and [p.count for p in hourly] == [1, 0, 0, 1]
    daily, bucket = spread_curve([ReportItem("a", "s", "", NOW), ReportItem("b", "s", "", NOW + timedelta(days=5))])
    assert bucket == "天" and len(daily) == 6
