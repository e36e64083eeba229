"""Shared pieces of the pages: cached queries, table building and safe rendering of untrusted text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import streamlit as st

from dashboard import data, runtime
from dashboard.auth import SignedInUser
from dashboard.export import CSV_MIME, XLSX_MIME, to_csv_bytes, to_xlsx_bytes
from dashboard.text import countdown, fmt_local, grade_label, grade_style, md_escape, safe_url, urgency

URGENCY_LABEL = {"breached": "已超时", "warning": "临近截止", "ok": "计时中", "none": "—"}
URGENCY_STYLE = {
    "已超时": "background-color: #b71c1c; color: #ffffff; font-weight: bold",
    "临近截止": "background-color: #ffe082; color: #000000; font-weight: bold",
}


@st.cache_data(ttl=60, show_spinner=False)
def unit_names(db: str) -> dict[str, str]:
    """Unit id → name (cached a minute)."""
    with runtime.read_session() as session:
        return data.unit_names(session)


@st.cache_data(ttl=60, show_spinner=False)
def source_names(db: str) -> dict[str, str]:
    """Source id → name (cached a minute)."""
    with runtime.read_session() as session:
        return data.source_names(session)


def allowed_units(user: SignedInUser, db: str) -> dict[str, str]:
    """The units this user may see: theirs, or all when their account names none."""
    names = unit_names(db)
    if user.units:
        return {uid: names.get(uid, uid) for uid in user.units}
    return names


def pandas() -> Any:
    """pandas, imported on first use (it is heavy and untyped)."""
    import pandas as pd  # type: ignore[import-untyped]

    return pd


def frame(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> Any:
    """A DataFrame from dict rows, keeping the column order even when there are no rows."""
    pd = pandas()
    if not rows:
        return pd.DataFrame(columns=list(columns or []))
    df = pd.DataFrame(list(rows))
    return df[list(columns)] if columns else df


def styled(df: Any, *, grade_col: str | None = None, urgency_col: str | None = None) -> Any:
    """Colour grade cells (red/orange/yellow/blue) and urgency cells through a Styler (no HTML involved)."""
    if df.empty:
        return df
    style = df.style
    if grade_col and grade_col in df.columns:
        style = style.map(grade_style, subset=[grade_col])
    if urgency_col and urgency_col in df.columns:
        style = style.map(lambda v: URGENCY_STYLE.get(str(v), ""), subset=[urgency_col])
    return style


def downloads(name: str, df: Any, key: str) -> None:
    """CSV and Excel download buttons for one table (the files are built only when clicked)."""
    left, right = st.columns(2)
    left.download_button(
        "下载 CSV", lambda: to_csv_bytes(df), file_name=f"{name}.csv", mime=CSV_MIME, key=f"{key}_csv",
        on_click="ignore",
    )
    right.download_button(
        "下载 Excel", lambda: to_xlsx_bytes({name: df}), file_name=f"{name}.xlsx", mime=XLSX_MIME, key=f"{key}_xlsx",
        on_click="ignore",
    )


def untrusted(label: str, text: str | None) -> None:
    """Show a label and an untrusted web string as plain text (escaped for markdown)."""
    st.markdown(f"**{md_escape(label)}**：{md_escape(text) or '—'}")


def board_rows(rows: Sequence[data.BoardRow], units: dict[str, str], now: datetime) -> list[dict[str, Any]]:
    """Duty-board table rows with live countdowns computed at `now`."""
    out: list[dict[str, Any]] = []
    for row in rows:
        first = row.clocks[0] if row.clocks else None
        level = urgency(first.due_at, first.started_at, now) if first else "none"
        if any(c.due_at <= now for c in row.clocks):
            level = "breached"
        all_clocks = "；".join(f"{c.kind} {countdown(c.due_at, now)}" for c in row.clocks)
        out.append(
            {
                "处置单": row.case_id,
                "等级": grade_label(row.grade),
                "提醒": URGENCY_LABEL[level],
                "倒计时": countdown(first.due_at, now) if first else "无计时",
                "标题": row.title,
                "单位": units.get(row.unit_id, row.unit_id),
                "状态": row.state,
                "最近时限": first.kind if first else "—",
                "截止（北京时间）": fmt_local(first.due_at) if first else "—",
                "全部时限": all_clocks or "—",
                "立单": fmt_local(row.opened_at),
                "打开": f"case?id={row.case_id}",
            }
        )
    return out


def link_config(column: str = "打开") -> dict[str, Any]:
    """Column config that shows the relative case-page URL as a link named 打开 (and a wide 标题)."""
    return {
        column: st.column_config.LinkColumn(column, display_text="打开", width="small"),
        "标题": st.column_config.TextColumn("标题", width="large"),
        "处置单": st.column_config.NumberColumn("处置单", width="small", format="%d"),
    }


def external_link_config(column: str) -> dict[str, Any]:
    """Column config for an (already vetted) external URL column."""
    return {column: st.column_config.LinkColumn(column, width="medium")}


def vetted(url: str | None) -> str | None:
    """An http(s) URL safe to put in a link column, else None (the text stays visible elsewhere)."""
    return safe_url(url) or None
