"""Read JSONL/CSV exports (other monitoring services, 12345 hotline systems) into FetchedItem values.

Column names are matched case-insensitively against the aliases in rules.toml [imports.columns]
(title/标题/留言主题, text/content/正文/留言详情, url/链接, author/作者/留言用户, published_at/time/
发布时间/留言时间, reposts/转发, comments/评论, likes/点赞/点赞数, guid/id/留言编号), so the
gov_messages_tipdm2020 shape (留言编号, 留言用户, 留言主题, 留言时间, 留言详情, 点赞数) reads as is.
A bad line is skipped and reported with its line number and reason; the rest is read.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from crawlers.charset import decode_body
from crawlers.dates import parse_date
from crawlers.errors import ImportFormatError
from crawlers.items import make_item, parse_count
from crawlers.rules import load_rules
from crawlers.text import html_to_text
from crawlers.types import Engagement, FetchedItem


@dataclass(frozen=True, slots=True)
class ImportRejection:
    """A skipped line: its 1-based line number in the file and why."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class ImportResult:
    """Items read, lines rejected, and rejection counts by reason."""

    items: tuple[FetchedItem, ...]
    rejected: tuple[ImportRejection, ...]
    format: str

    @property
    def rejected_by_reason(self) -> dict[str, int]:
        """How many lines were skipped for each reason (reason text without its details)."""
        return dict(Counter(r.reason.split(":", 1)[0] for r in self.rejected))


def _lookup(row: Mapping[str, Any], field: str) -> Any:
    aliases = load_rules().import_columns.get(field, ())
    for alias in aliases:
        value = row.get(alias.lower())
        if value is not None and str(value).strip() != "":
            return value
    return None


def _row_item(row: Mapping[str, Any], source_id: str, now: datetime) -> FetchedItem | str:
    norm = {str(k).strip().lstrip("\ufeff").lower(): v for k, v in row.items() if k is not None}
    title = html_to_text(str(_lookup(norm, "title") or ""))
    text = html_to_text(str(_lookup(norm, "text") or ""))
    if not title and not text:
        return "no_title_or_text: 没有标题或正文"
    flags: list[str] = []
    raw_time = _lookup(norm, "published_at")
    published = parse_date(str(raw_time), now) if raw_time is not None else None
    if raw_time is not None and published is None:
        flags.append("bad_date")
    url = str(_lookup(norm, "url") or "").strip()
    guid = str(_lookup(norm, "guid") or "").strip()
    return make_item(
        source_id=source_id,
        url=url,
        title=title,
        text=text,
        fetched_at=now,
        published_at=published,
        author=str(_lookup(norm, "author") or ""),
        guid=guid,
        engagement=Engagement(
            reposts=parse_count(_lookup(norm, "reposts")),
            comments=parse_count(_lookup(norm, "comments")),
            likes=parse_count(_lookup(norm, "likes")),
        ),
        flags=("imported", *flags),
    )


def _read_jsonl(lines: list[str], source_id: str, now: datetime) -> tuple[list[FetchedItem], list[ImportRejection]]:
    items: list[FetchedItem] = []
    rejected: list[ImportRejection] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            rejected.append(ImportRejection(n, f"invalid_json: {exc}"))
            continue
        if not isinstance(row, dict):
            rejected.append(ImportRejection(n, f"not_an_object: 第 {n} 行不是 JSON 对象"))
            continue
        result = _row_item(row, source_id, now)
        if isinstance(result, str):
            rejected.append(ImportRejection(n, result))
        else:
            items.append(result)
    return items, rejected


def _read_csv(text: str, source_id: str, now: datetime) -> tuple[list[FetchedItem], list[ImportRejection]]:
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    items: list[FetchedItem] = []
    rejected: list[ImportRejection] = []
    header: list[str] | None = None
    start = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            rejected.append(ImportRejection(reader.line_num, f"bad_csv: {exc}"))
            continue
        line = start + 1
        start = reader.line_num
        if header is None:
            if any(c.strip() for c in cells):
                header = [c.strip().lstrip("\ufeff") for c in cells]
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            rejected.append(ImportRejection(line, f"column_count: 第 {line} 行有 {len(cells)} 列，表头 {len(header)} 列"))
            continue
        result = _row_item(dict(zip(header, cells, strict=True)), source_id, now)
        if isinstance(result, str):
            rejected.append(ImportRejection(line, result))
        else:
            items.append(result)
    if header is None:
        raise ImportFormatError("CSV 没有表头 no header row")
    return items, rejected


def read_import(
    source: Path | str | Iterable[str], source_id: str, now: datetime, fmt: str | None = None
) -> ImportResult:
    """Read a JSONL or CSV export (a path, or lines) into items; fmt 'jsonl'|'csv' or guessed."""
    if isinstance(source, Path | str):
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ImportFormatError(f"{path}: 无法读取 cannot read: {exc}") from exc
        # Excel exports in China are often GBK; decode by the same rules as web pages.
        text = decode_body(data).text
        suffix = path.suffix.lower()
        fmt = fmt or ("csv" if suffix in (".csv", ".tsv") else "jsonl" if suffix in (".jsonl", ".ndjson", ".json") else None)
    else:
        text = "\n".join(line.rstrip("\r\n") for line in source)
    if fmt is None:
        first = next((ln for ln in text.splitlines() if ln.strip()), "")
        fmt = "jsonl" if first.lstrip().startswith("{") else "csv"
    if fmt == "jsonl":
        items, rejected = _read_jsonl(text.splitlines(), source_id, now)
    elif fmt == "csv":
        items, rejected = _read_csv(text, source_id, now)
    else:
        raise ImportFormatError(f"未知导入格式 unknown import format: {fmt!r} (jsonl|csv)")
    return ImportResult(tuple(items), tuple(rejected), fmt)
