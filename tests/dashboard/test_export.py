"""CSV/Excel export: Chinese survives, formulas from web text do not run."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl

from dashboard.export import neutralise, sheet_title, to_csv_bytes, to_xlsx_bytes

ROWS = [
    {"标题": "=HYPERLINK(\"http://evil.example\",\"点我\")", "时间": datetime(2026, 11, 20, 2, 0, tzinfo=UTC), "数量": 3},
    {"标题": "示例区交通事故", "时间": None, "数量": 0},
]


def test_csv_has_bom_chinese_and_neutralised_formulas() -> None:
    data = to_csv_bytes(ROWS)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["标题", "时间", "数量"]
    assert rows[1][0].startswith("'=HYPERLINK")
    assert rows[1][1] == "2026-11-20 10:00:00"  # shown in Asia/Shanghai
    assert rows[2] == ["示例区交通事故", "", "0"]


def test_xlsx_keeps_formula_text_as_text_and_sheets_are_valid() -> None:
    data = to_xlsx_bytes({"超时明细/2026[1]": ROWS, "空表": []})
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["超时明细_2026_1_", "空表"]
    sheet = book["超时明细_2026_1_"]
    cell = sheet["A2"]
    assert cell.data_type == "s"
    assert cell.value.startswith("=HYPERLINK")
    assert sheet["B2"].value == datetime(2026, 11, 20, 10, 0)
    assert sheet["C2"].value == 3


def test_xlsx_accepts_dataframes() -> None:
    import pandas as pd

    data = to_xlsx_bytes({"按等级": pd.DataFrame({"等级": ["重大", "一般"], "处置单": [1, 2]})})
    sheet = openpyxl.load_workbook(io.BytesIO(data))["按等级"]
    assert [c.value for c in sheet[1]] == ["等级", "处置单"]
    assert [c.value for c in sheet[3]] == ["一般", 2]


def test_neutralise_and_sheet_titles() -> None:
    assert neutralise("+1") == "'+1"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("正常文本") == "正常文本"
    taken: set[str] = set()
    long = "很长的表名" * 10
    first, second = sheet_title(long, taken), sheet_title(long, taken)
    assert len(first) <= 31 and len(second) <= 31 and first != second
