"""CSV and Excel export of dashboard tables, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from dashboard.text import to_local

# A cell that begins with one of these is run as a formula by spreadsheet programs: web text must not be.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

Row = Mapping[str, Any]


def _rows_and_columns(table: Any) -> tuple[list[str], list[list[Any]]]:
    """Accept a pandas DataFrame or a sequence of mappings; return header and rows."""
    if hasattr(table, "columns") and hasattr(table, "itertuples"):
        columns = [str(c) for c in table.columns]
        rows = [list(r) for r in table.itertuples(index=False, name=None)]
        return columns, rows
    records: Sequence[Row] = list(table)
    columns = []
    for record in records:
        for key in record:
            if key not in columns:
                columns.append(str(key))
    return columns, [[record.get(c) for c in columns] for record in records]


def _plain(value: Any) -> Any:
    """Spreadsheet-friendly value: times in Asia/Shanghai without zone, enums as their text."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN from pandas
        return None
    if isinstance(value, datetime):
        local = to_local(value)
        return local.replace(tzinfo=None) if local is not None else None
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return _plain(value.to_pydatetime())
    if isinstance(value, date | int | float | bool):
        return value
    return str(value)


def neutralise(text: str) -> str:
    """Prefix a string that a spreadsheet would treat as a formula with an apostrophe (CSV injection)."""
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def to_csv_bytes(table: Any) -> bytes:
    """Serialise a table to UTF-8 CSV with a BOM (so Excel shows Chinese correctly)."""
    columns, rows = _rows_and_columns(table)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in columns])
    for row in rows:
        out: list[Any] = []
        for value in row:
            plain = _plain(value)
            if isinstance(plain, datetime):
                out.append(plain.strftime("%Y-%m-%d %H:%M:%S"))
            elif isinstance(plain, str):
                out.append(neutralise(plain))
            else:
                out.append("" if plain is None else plain)
        writer.writerow(out)
    return buffer.getvalue().encode("utf-8-sig")


def sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique worksheet title (≤ 31 characters, none of []:*?/\\)."""
    base = _SHEET_FORBIDDEN.sub("_", name).strip("'") or "Sheet"
    base = base[:31]
    title, n = base, 2
    while title in taken:
        suffix = f"_{n}"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(title)
    return title


def to_xlsx_bytes(tables: Mapping[str, Any]) -> bytes:
    """Write each table to its own worksheet of one .xlsx workbook and return its bytes."""
    workbook = Workbook()
    default = workbook.active
    if default is not None:
        workbook.remove(default)
    taken: set[str] = set()
    for name, table in tables.items():
        sheet = workbook.create_sheet(sheet_title(name, taken))
        columns, rows = _rows_and_columns(table)
        widths = [max(4, _display_width(c)) for c in columns]
        for col, header in enumerate(columns, start=1):
            cell = sheet.cell(row=1, column=col, value=header)
            cell.data_type = "s"
        for r, row in enumerate(rows, start=2):
            for col, value in enumerate(row, start=1):
                plain = _plain(value)
                cell = sheet.cell(row=r, column=col)
                if isinstance(plain, str):
                    cell.value = plain
                    # openpyxl treats a string starting with '=' as a formula; force plain text.
                    cell.data_type = "s"
                else:
                    cell.value = plain
                    if isinstance(plain, datetime):
                        cell.number_format = "yyyy-mm-dd hh:mm:ss"
                widths[col - 1] = min(60, max(widths[col - 1], _display_width(plain)))
        for col, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(col)].width = width + 2
        sheet.freeze_panes = "A2"
    if not workbook.sheetnames:
        workbook.create_sheet("空")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _display_width(value: Any) -> int:
    """Rough column width: CJK characters count double."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 19
    text = str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text[:80])


CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
