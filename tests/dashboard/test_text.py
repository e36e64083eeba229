"""Escaping untrusted text, URLs, times and countdowns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dashboard.text import countdown, fmt_local, grade_label, grade_style, md_escape, safe_url, urgency

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def test_md_escape_neutralises_markup_links_and_directives() -> None:
    raw = "<script>alert(1)</script> [点我](http://evil.example/x) **粗** :red[红] $x$ www.evil.cn a@evil.cn\n# 标题"
    out = md_escape(raw)
    assert "<script>" not in out and "\\<script\\>" in out
    assert "](" not in out and "\\]\\(" in out
    assert "://" not in out  # GFM autolinks bare URLs after escaping; the zero-width space stops it
    assert "www." not in out and "www\u200b" in out
    assert "@evil" not in out
    assert ":red[" not in out and "$x$" not in out and "**" not in out
    assert "\n" not in out  # no new markdown block from a newline
    assert md_escape(None) == "" and md_escape("普通中文标题") == "普通中文标题"


def test_safe_url_allows_only_http() -> None:
    assert safe_url("https://gov.example.cn/a?b=1") == "https://gov.example.cn/a?b=1"
    for bad in ("javascript:alert(1)", "data:text/html,x", "//evil.example", "http://", "http://a b", "", None):
        assert safe_url(bad) == ""


def test_times_show_in_shanghai_and_countdowns() -> None:
    assert fmt_local(NOW) == "2026-11-20 10:00"
    assert fmt_local(NOW.replace(tzinfo=None)) == "2026-11-20 10:00"  # naive means UTC
    assert fmt_local(None) == "—"
    assert countdown(NOW + timedelta(hours=1, minutes=2), NOW) == "剩余 1小时02分"
    assert countdown(NOW - timedelta(days=1, hours=2), NOW) == "已超时 1天2小时0分"
    start = NOW - timedelta(hours=1)
    assert urgency(NOW + timedelta(hours=1), start, NOW) == "ok"
    assert urgency(NOW + timedelta(minutes=10), start, NOW) == "warning"
    assert urgency(NOW, start, NOW) == "breached"


def test_grade_labels_and_colours() -> None:
    assert grade_label("特别重大") == "特别重大（Ⅰ级·红）"
    assert grade_label(None) == "未定级"
    assert "#d32f2f" in grade_style(grade_label("特别重大"))
    assert "#1976d2" in grade_style("一般")
    assert grade_style("未定级") == ""
